"""Every mapped class, imported once, so Base.metadata is whole for Alembic, the tests and the benchmarks.

A new models module is added here; tests/integration/test_migrations.py fails when one is left out.
"""
from casecore import audit, form_once
from casecore.accounts import models as account_models
from casecore.base import Base
from casecore.cases import models as case_models
from casecore.cases import record_models
from casecore.complaints import models as complaint_models
from casecore.deadlines import models as deadline_models
from casecore.directory import models as directory_models
from casecore.feedback import models as feedback_models
from casecore.handoff import models as handoff_models
from casecore.messaging import models as messaging_models
from casecore.people import models as people_models
from casecore.partners import models as partner_models
from casecore.reports import models as report_models

MODELS = (audit, form_once, people_models, messaging_models, deadline_models, directory_models, report_models,
          case_models, record_models, feedback_models, complaint_models, handoff_models, account_models,
          partner_models)
metadata = Base.metadata  # whole once every models module above is imported
