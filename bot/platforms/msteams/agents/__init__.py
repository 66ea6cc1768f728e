"""Teams on the Microsoft 365 Agents SDK (TEAMS_SDK=agents): hosting and auth only.

The SDK runs turns and sends; Respite's shared Teams code (inbound translation, rendering,
the sender, retries, the address book) runs unchanged on botbuilder's activity types, converted
at the boundary (bridge.py). The SDK's 1.x releases need Python 3.12 (`pip install
'respite[agents]'`).
"""
