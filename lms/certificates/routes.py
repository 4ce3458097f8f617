from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from ..models import Certificate
from ..urls import external_url
from . import bp
from .issuing import find_certificate, normalize_code
from .pdf import certificate_pdf


def verify_url(code):
    return external_url("certificates.verify", code=code)


def get_viewable_certificate_or_404(code):
    """A certificate the current user may open: their own (admins: any)."""
    certificate = find_certificate(code)
    if certificate is None or not (certificate.user_id == current_user.id or current_user.is_admin):
        abort(404)
    return certificate


@bp.route("/certificates/")
def index():
    certificates = list(Certificate.select().where(Certificate.user == current_user)
                        .order_by(Certificate.issued_at.desc()))
    return render_template("certificates/index.html", certificates=certificates)


@bp.route("/certificates/<code>")
def detail(code):
    certificate = get_viewable_certificate_or_404(code)
    return render_template("certificates/detail.html", certificate=certificate, verify_url=verify_url(certificate.code))


@bp.route("/certificates/<code>.pdf")
def download(code):
    certificate = get_viewable_certificate_or_404(code)
    pdf = certificate_pdf(certificate, verify_url(certificate.code), current_app.config["TIMEZONE"])
    filename = f"Zertifikat-{certificate.code}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/verify", methods=["GET"])
def verify_form():
    """Type in a code by hand."""
    code = request.args.get("code", "")
    if code:
        normalized = normalize_code(code)
        if normalized:
            return redirect(url_for("certificates.verify", code=normalized))
        return render_template("certificates/verify_form.html", code=code,
                               error="Ein Code hat 12 Zeichen, z. B. K7QX-M2PD-9WTA."), 400
    return render_template("certificates/verify_form.html", code="", error=None)


@bp.route("/verify/<code>")
def verify(code):
    """Public: is this certificate genuine, and is it still valid?"""
    certificate = find_certificate(code)
    if certificate is None:
        return render_template("certificates/verify.html", certificate=None, code=code), 404
    return render_template("certificates/verify.html", certificate=certificate, status=certificate.status(),
                           code=certificate.code)
