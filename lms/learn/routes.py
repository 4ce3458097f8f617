from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..certificates.issuing import issue_certificate_if_complete
from ..models import Certificate, Course, Handout, Lesson, Module
from ..progress import complete_lesson, course_outline, record_lesson_view
from . import bp


def get_course_or_404(course_slug):
    return Course.get_or_none((Course.slug == course_slug) & ~Course.is_retired) or abort(404)


def get_lesson_or_404(course, module_slug, lesson_slug):
    lesson = (Lesson.select(Lesson, Module).join(Module)
              .where((Module.course == course) & (Module.slug == module_slug) & (Lesson.slug == lesson_slug)
                     & ~Module.is_retired & ~Lesson.is_retired)
              .first())
    return lesson or abort(404)


def step_url(step, course):
    """URL of a course_outline().next_step() result."""
    if step is None:
        return None
    kind, item = step
    if kind == "lesson":
        return url_for("learn.lesson", course_slug=course.slug, module_slug=item.module.slug, lesson_slug=item.slug)
    return url_for("quiz.overview", course_slug=course.slug, quiz_slug=item.slug)


@bp.route("/")
def index():
    courses = list(Course.select().where(~Course.is_retired).order_by(Course.title))
    if not current_user.is_authenticated:
        return render_template("learn/landing.html", courses=courses)
    overviews = []
    for course in courses:
        outline = course_outline(course, current_user)
        overviews.append((outline, outline.next_step()))
    certificates = list(Certificate.select().where(Certificate.user == current_user)
                        .order_by(Certificate.issued_at.desc()))
    return render_template("learn/index.html", overviews=overviews, certificates=certificates, step_url=step_url)


@bp.route("/learn/<course_slug>")
@login_required
def course(course_slug):
    course = get_course_or_404(course_slug)
    outline = course_outline(course, current_user)
    handouts = list(Handout.select().where((Handout.course == course) & ~Handout.is_retired)
                    .order_by(Handout.position))
    return render_template("learn/course.html", outline=outline, course=course, handouts=handouts,
                           next_step=outline.next_step(), step_url=step_url)


@bp.route("/learn/<course_slug>/<module_slug>/<lesson_slug>")
@login_required
def lesson(course_slug, module_slug, lesson_slug):
    course = get_course_or_404(course_slug)
    lesson = get_lesson_or_404(course, module_slug, lesson_slug)
    record_lesson_view(current_user, lesson)
    outline = course_outline(course, current_user)
    module_outline = outline.module_of(lesson)
    previous, following = outline.neighbours(lesson)
    done = any(done for item, done in module_outline.lessons if item.id == lesson.id)
    return render_template("learn/lesson.html", course=course, lesson=lesson, module_outline=module_outline,
                           outline=outline, previous=previous, following=following, done=done)


@bp.route("/learn/<course_slug>/<module_slug>/<lesson_slug>/done", methods=["POST"])
@login_required
def complete(course_slug, module_slug, lesson_slug):
    course = get_course_or_404(course_slug)
    lesson = get_lesson_or_404(course, module_slug, lesson_slug)
    complete_lesson(current_user, lesson)
    certificate = issue_certificate_if_complete(current_user, course)
    if certificate is not None:
        flash("Geschafft! Du hast den Kurs abgeschlossen. Dein Zertifikat ist fertig.", "success")
        return redirect(url_for("certificates.detail", code=certificate.code))
    outline = course_outline(course, current_user)
    module_outline = outline.module_of(lesson)
    _, following = outline.neighbours(lesson)
    # After the module's last lesson comes its quiz, when not yet passed.
    if module_outline.quiz is not None and not module_outline.quiz_passed and (
            following is None or following.module_id != lesson.module_id):
        flash("Lektion erledigt. Jetzt kannst du das Quiz zu diesem Modul machen.", "success")
        return redirect(url_for("quiz.overview", course_slug=course.slug, quiz_slug=module_outline.quiz.slug))
    if following is not None:
        return redirect(url_for("learn.lesson", course_slug=course.slug,
                                module_slug=following.module.slug, lesson_slug=following.slug))
    flash("Lektion erledigt.", "success")
    return redirect(step_url(outline.next_step(), course) or url_for("learn.course", course_slug=course.slug))


@bp.route("/learn/<course_slug>/templates/<handout_slug>")
@login_required
def handout(course_slug, handout_slug):
    course = get_course_or_404(course_slug)
    handout = Handout.get_or_none((Handout.course == course) & (Handout.slug == handout_slug)
                                  & ~Handout.is_retired) or abort(404)
    return render_template("learn/handout.html", course=course, handout=handout)
