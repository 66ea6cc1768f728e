"""Microsoft Teams: Bot Framework activities in, Adaptive Cards out.

Every botbuilder import of the project lives in this package, so moving to the Microsoft 365
Agents SDK (same Activity protocol) touches this folder only.
"""
