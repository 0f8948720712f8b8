"""The notifications service's use cases: one function per thing an event or a person asks for.

Each takes `work: Work[NotificationsStore]` (a unit of work, and the store through it): in
production `store.work_of(uow)`, in unit tests `FakeUnitOfWork(InMemoryNotificationsStore())`.
The rules they apply are in domain.py; the queries in store.py; the handlers, API and pages only
call them.

- candidates.py: messages to candidates about their applications and training
- councils.py: messages to councils, recruiters and candidates about vacancies and matches
- owing.py: a message rendered and recorded once per (event, recipient, template)
- erasure.py: a candidate forgotten
- reminders.py: reminders owed when due
- people.py: a person's choice about non-essential messages
- delivery_repair.py: failed e-mails sent again, Notify's receipts recorded
"""
