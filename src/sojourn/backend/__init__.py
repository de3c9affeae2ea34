"""The Step Functions service behind `sojourn.Client`, one module per resource family (design.md section 3).

`system` composes a process; `common` holds what the services share (`Context`, paging, payload and tag
rules). The services: `machines`, `versions` (versions and aliases), `executions`, `tasks` (task tokens and
the inbox), `activities`, `tags`, `teststate`, and Sojourn's own `mailbox`, `humantasks` and `portal` (the
approver portal's sign-in). Each method has boto3's name, keyword arguments and answer; the store is reached
only through its typed verbs.
"""

from sojourn.backend.system import System

__all__ = ["System"]
