"""Microsoft Teams: Bot Framework activities in, Adaptive Cards out.

Every Teams SDK import of the project lives in this package: botbuilder's, and the Microsoft 365
Agents SDK's under agents/ (TEAMS_SDK picks one; hosting.py is what each provides).
"""
