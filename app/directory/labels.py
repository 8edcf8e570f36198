"""Words for the service directory: the service types (taxonomy.SERVICE_TYPES), shown by the feedback page too."""
from __future__ import annotations

from app.web.pages import page_gettext
from casecore.i18n import N_

SERVICE_TYPE_LABELS: dict[str, str] = {
    "health": N_("Health care"),
    "mental_health_psychosocial": N_("Mental health and psychosocial support"),
    "safe_shelter": N_("Safe shelter"),
    "legal_aid": N_("Legal aid"),
    "police_security": N_("Police and security"),
    "education": N_("Education"),
    "livelihoods": N_("Livelihoods"),
    "family_tracing_reunification": N_("Family tracing and reunification"),
    "alternative_care": N_("Alternative care"),
    "basic_material_assistance": N_("Basic material assistance"),
    "nutrition": N_("Nutrition"),
    "birth_registration": N_("Birth registration"),
    "gbv_services": N_("Gender-based violence services"),
    "disability_support": N_("Disability support"),
    "other": N_("Other service"),
}


def service_type_label(code: str) -> str:
    """The translated name of a service type code; the code itself when it has none."""
    msgid = SERVICE_TYPE_LABELS.get(code)
    return page_gettext()(msgid) if msgid else code
