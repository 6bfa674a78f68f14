"""The Microsoft Teams front end: the same bot as in Slack, over the same core (shared/usecases.py).

app.py (the SDK app at /api/messages, `sli teams`), handlers.py (what each activity does), cards.py
(Adaptive Cards and message text, and `inert()`, the one escaping function for Teams), messenger.py
(proactive posts), package.py (the app package: manifest.json and its icons, zipped).
"""
