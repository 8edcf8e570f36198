"""The baseline for `make bench`: a bare Flask app answering the first USSD screen, with no database or Redis."""
from __future__ import annotations

from flask import Flask, Response

FIRST_SCREEN = "CON Langue / Language\n1 Francais\n2 English"


def create_app() -> Flask:
    """A Flask app with one route, the USSD webhook's URL, answering a fixed `CON` screen."""
    app = Flask(__name__)

    @app.post("/webhooks/africastalking/ussd")
    def africastalking_ussd():
        return Response(FIRST_SCREEN, mimetype="text/plain")

    return app
