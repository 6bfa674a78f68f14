"""The domain: Appendix 1's model, vocabulary, rules, permissions, questions and the plan of an update.

Nothing here reads or writes a file, a zip, XML, SQLite, a lock or a chat service: readers build the
model, use cases (shared/usecases.py) run it inside a unit of work, front ends render what it returns.
"""
