from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, send_from_directory, url_for
from flask_login import current_user

from ..certificates.issuing import issue_certificate_if_complete
from ..guide import cached_guide_pdf, compile_guide, handout_pdf, lesson_anchor, link_within_guide, shift_headings
from ..media import media_dir
from ..catalog import published_course, published_courses
from ..lookups import learner_course_or_404, learner_handout_or_404, learner_lesson_or_404
from ..models import Certificate, MediaFile
from ..progress import complete_lesson, learner_records, learner_view, record_lesson_view
from ..trainings.dates import upcoming_for
from ..urls import step_url

UPCOMING_SHOWN = 3  # live dates on the start and course pages; the rest under /trainings
from . import bp


@bp.route("/")
def index():
    published = published_courses()
    courses = [course.course for course in published]
    if not current_user.is_authenticated:
        return render_template("learn/landing.html", published=published)
    views = [learner_view(course, current_user) for course in courses]
    certificates = list(Certificate.select().where(Certificate.user == current_user)
                        .order_by(Certificate.issued_at.desc()))
    return render_template("learn/index.html", views=views, certificates=certificates, step_url=step_url,
                           trainings=upcoming_for(current_user, limit=UPCOMING_SHOWN))


@bp.route("/learn/<course_slug>")
def course(course_slug):
    course = learner_course_or_404(course_slug)
    view = learner_view(course, current_user)
    published = published_course(course.slug)
    return render_template("learn/course.html", view=view, outline=view.outline, course=course,
                           handouts=published.handouts, paths=published.paths(), next_step=view.outline.next_step(),
                           step_url=step_url, trainings=upcoming_for(current_user, course, limit=UPCOMING_SHOWN))


@bp.route("/learn/<course_slug>/<module_slug>/<lesson_slug>")
def lesson(course_slug, module_slug, lesson_slug):
    course = learner_course_or_404(course_slug)
    lesson = learner_lesson_or_404(course, module_slug, lesson_slug)
    records = learner_records(current_user, course)
    record_lesson_view(current_user, lesson, course, records)
    outline = learner_view(course, current_user, records=records).outline
    previous, following = outline.neighbours(lesson)
    return render_template("learn/lesson.html", course=course, lesson=lesson, module=lesson.module,
                           previous=previous, following=following, done=outline.is_done(lesson))


@bp.route("/learn/<course_slug>/<module_slug>/<lesson_slug>/done", methods=["POST"])
def complete(course_slug, module_slug, lesson_slug):
    course = learner_course_or_404(course_slug)
    lesson = learner_lesson_or_404(course, module_slug, lesson_slug)
    complete_lesson(current_user, lesson, course)
    certificate = issue_certificate_if_complete(current_user, course)
    if certificate is not None:
        flash("Geschafft! Du hast den Kurs abgeschlossen. Dein Zertifikat ist fertig.", "success")
        return redirect(url_for("certificates.detail", code=certificate.code))
    step = learner_view(course, current_user).outline.step_after(lesson)
    if step is not None and step[0] == "quiz":
        flash("Lektion erledigt. Jetzt kannst du das Quiz zu diesem Modul machen.", "success")
    elif step is None:
        flash("Lektion erledigt.", "success")
    return redirect(step_url(step, course) or url_for("learn.course", course_slug=course.slug))


def pdf_response(data, filename):
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/learn/<course_slug>/templates/<handout_slug>")
def handout(course_slug, handout_slug):
    course = learner_course_or_404(course_slug)
    return render_template("learn/handout.html", course=course, handout=learner_handout_or_404(course, handout_slug))


@bp.route("/learn/<course_slug>/templates/<handout_slug>.pdf")
def handout_download(course_slug, handout_slug):
    course = learner_course_or_404(course_slug)
    handout = learner_handout_or_404(course, handout_slug)
    return pdf_response(handout_pdf(course, handout), f"Vorlage-{handout.slug}.pdf")


@bp.route("/learn/<course_slug>/guide")
def guide(course_slug):
    """The guide as one printable page."""
    guide = compile_guide(learner_course_or_404(course_slug))

    def embed(html, shift):
        return link_within_guide(shift_headings(html, shift), guide.course.slug)

    return render_template("learn/guide.html", guide=guide, course=guide.course, embed=embed,
                           lesson_anchor=lesson_anchor)


@bp.route("/learn/<course_slug>/guide.pdf")
def guide_download(course_slug):
    guide = compile_guide(learner_course_or_404(course_slug))
    data = cached_guide_pdf(guide, Path(current_app.instance_path) / "cache")
    return pdf_response(data, f"Leitfaden-{guide.course.slug}-v{guide.course.version}.pdf")


@bp.route("/media/<name>")
def media(name):
    """Images in lessons. Only files the platform re-encoded itself, with
    headers that stop a browser from treating them as anything but images."""
    row = MediaFile.get_or_none(MediaFile.name == name) or abort(404)
    response = send_from_directory(media_dir(current_app.instance_path), row.name, mimetype=row.mime_type,
                                   max_age=365 * 24 * 3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = f'inline; filename="{row.name}"'
    return response
