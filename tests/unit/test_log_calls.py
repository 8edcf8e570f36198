"""No log call of the code hands a logger a number, a name, a reference, an address or a message body: checked on the
source, so that a line only a rare path writes (tests/web/test_log_lines.py runs the common ones) is held too."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("app", "casecore", "channels", "dialogs", "workers")
LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
LOGGERS = {"log", "logger", "logging"}
# What a value named so holds (its name, or the last attribute read: message.body, staff.display_name).
PERSONAL = {"phone", "phones", "phone_number", "to", "to_phone", "from_phone", "number", "numbers", "msisdn",
            "recipient", "recipients", "sender", "body", "text", "description", "answers", "note", "display_name",
            "name", "names", "email", "reference", "url", "form", "payload", "environ", "remote_addr"}


# Names that hold nothing personal where they are logged, each with the reason.
ALLOWED = {
    ("app/auth/views.py", "description"): "Flask-WTF's CSRFError says which check failed, in fixed words",
}


def log_calls(tree: ast.AST):
    """Each call to a logger's level method (log.info, logger.warning, logging.error) in the tree."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LEVELS
                and isinstance(node.func.value, ast.Name) and node.func.value.id in LOGGERS):
            yield node


def named(node: ast.AST):
    """The names a logged expression reads: a variable's, an attribute's (not the object's it is read from)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr


def test_no_log_call_is_given_personal_data():
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for call in log_calls(tree):
                # The message itself may be an f-string: every part of every argument is looked at.
                arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
                for name in named_in(arguments):
                    # obj.name.id reads the id: only the last attribute read counts.
                    if (name in PERSONAL and not _only_read_through(name, arguments)
                            and (str(path.relative_to(ROOT)), name) not in ALLOWED):
                        found.append(f"{path.relative_to(ROOT)}:{call.lineno} logs {name}")
    assert found == []


def named_in(arguments):
    return {name for arg in arguments for name in named(arg)}


def _only_read_through(name: str, arguments) -> bool:
    """Whether every use of name is the object an attribute is read from (message.id: the id, not the message), or
    what len() counts (len(numbers): how many)."""
    uses = [sub for arg in arguments for sub in ast.walk(arg)
            if (isinstance(sub, ast.Name) and sub.id == name) or (isinstance(sub, ast.Attribute) and sub.attr == name)]
    harmless = {id(sub.value) for arg in arguments for sub in ast.walk(arg) if isinstance(sub, ast.Attribute)}
    harmless |= {id(sub.args[0]) for arg in arguments for sub in ast.walk(arg)
                 if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "len" and sub.args}
    return all(id(use) in harmless for use in uses)
