"""Email for Sojourn: `send_email` queues a message in the outbox (in Sojourn's database) and returns its id.

A deliverer in every `sojourn serve` / `sojourn worker` process sends queued mail over SMTP, retrying with
backoff while the server is down or answers 4xx; without an SMTP host, mail is kept in the development
mailbox (`sojourn mail`, `Client.list_mail`). Functions call it directly:

    from sojourn.mail import send_email
    send_email(to=["lead@example.com"], subject="Leave request", html="<p>...</p>", text="...")
"""

from sojourn.mail.message import Message
from sojourn.mail.outbox import enqueue, send_email

__all__ = ["Message", "enqueue", "send_email"]
