"""Flask extensions, created here and bound to the app in ``create_app``."""
from flask_login import LoginManager
from flask_wtf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Bitte melde dich an, um diese Seite zu sehen."
login_manager.login_message_category = "info"
login_manager.refresh_view = "auth.login"
login_manager.needs_refresh_message = "Bitte melde dich erneut an."

csrf = CSRFProtect()
