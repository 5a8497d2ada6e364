"""Notices (issue 13): who is told about an issue's events and alerts, in the workspace and
through webhooks to group chats.

recipients (the kind -> units table and their accounts and webhooks), texts (what a notice
says), notify (notices and outbox rows in the event's transaction), due (near-due and overdue
alerts from the working-day deadlines), inbox (my notices, read), webhooks (configuration and
URL checks), formats (generic signed JSON, WeCom and DingTalk robots), delivery (the outbox
worker: claim with a lease, send, retry with backoff).
"""
