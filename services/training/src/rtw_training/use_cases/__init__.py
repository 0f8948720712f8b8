"""The training service's use cases: one function per thing an event or a person asks for.

Each takes `work: TrainingWork` (a unit of work, and the store through it): in production
`store.work_of(uow)`, in unit tests `FakeUnitOfWork(InMemoryTrainingStore())`. The rules they
apply are in domain.py; the queries in store.py; the handlers, API and pages only call them.

- enrolment.py: learners and enrolment, from applications' and assessment's events
- erasure.py: a candidate forgotten, the counts kept
- recommendations.py: modules recommended for the skill gaps matching found
- access.py: who may see and change what
- progress.py: modules started and completed, CPD, completion with a signed certificate
- outcomes.py: the progress grid (a cohort's outcomes in one submit) and corrections
- lms.py: a provider's LMS links and its signed completion events
- providers.py: registering, changing and retiring providers (admins)
- views.py: what the API and pages show (a learner's training, CPD evidence, certificates)
"""
