import difflib
import re
import secrets
import time
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..content import authoring
from ..content.authoring import AuthoringError
from ..content.gift import GiftFileError, parse_gift, read_gift_file
from ..content.loader import link_resolver
from ..content.quiz_data import new_question_id, new_quiz
from ..content.publishing import NothingToPublish, apply_import, export_zip, publish, read_zip
from ..content.rendering import MarkdownTooComplex, render_markdown
from ..content.revisions import get_revision, history, pending_changes, restore
from ..content.source import ContentErrors
from ..content.tree import key_label, lesson_key, quiz_key
from ..item_statistics import quiz_statistics
from ..media import MAX_UPLOAD_BYTES, MediaError, media_dir, prepare_image, store_image
from ..lookups import author_course_or_404, author_quiz_or_404
from ..models import Course, MediaFile
from ..question_editor import QuestionForm
from ..question_types import QUESTION_TYPES
from ..urls import build_content_url, int_arg
from . import bp
from .forms import GiftForm, ImageUploadForm, LessonForm, ModuleForm, QuizSettingsForm, ZipUploadForm


def _author():
    """The trainer making a change, as a User row (not the login proxy)."""
    return current_user._get_current_object()


def _flash_messages(messages, category="error"):
    for message in messages:
        flash(message, category)


@bp.errorhandler(AuthoringError)
def refused(error):
    """A change the drafts refuse (say, retiring a module's only lesson):
    say why and go back to the course outline. Pages with a form catch the
    error themselves, so the trainer's input stays in the form."""
    _flash_messages(error.messages)
    course_slug = (request.view_args or {}).get("course_slug")
    return redirect(url_for("authoring.course", course_slug=course_slug) if course_slug else url_for("authoring.index"))


def _flash_warnings(warnings):
    _flash_messages((f"Hinweis: {warning}" for warning in warnings), "info")


# --- course outline -------------------------------------------------------------


@bp.route("/")
def index():
    courses = list(Course.select().where(~Course.is_retired).order_by(Course.title))
    if len(courses) == 1:
        return redirect(url_for("authoring.course", course_slug=courses[0].slug))
    return render_template("authoring/index.html", courses=courses)


@bp.route("/<course_slug>/")
def course(course_slug):
    course = author_course_or_404(course_slug)
    tree = authoring.draft_tree(course.slug)
    modules = [{"slug": slug, "title": title, "summary": summary, "lessons": lessons,
                "has_quiz": quiz_key(slug) in tree}
               for slug, title, summary, lessons in authoring.outline(tree)]
    return render_template("authoring/course.html", course=course, modules=modules,
                           changes=pending_changes(course.slug), key_label=key_label)


# --- modules --------------------------------------------------------------------


@bp.route("/<course_slug>/modules/new", methods=["GET", "POST"])
def new_module(course_slug):
    course = author_course_or_404(course_slug)
    form = ModuleForm()
    if form.validate_on_submit():
        if not form.slug.data:
            form.slug.errors.append("Bitte gib einen Slug an.")
        else:
            try:
                authoring.add_module(course.slug, form.slug.data, form.title.data, form.summary.data, _author())
                flash("Modul angelegt (Entwurf). Lege jetzt seine erste Lektion an.", "success")
                return redirect(url_for("authoring.new_lesson", course_slug=course.slug, module_slug=form.slug.data))
            except AuthoringError as error:
                _flash_messages(error.messages)
    return render_template("authoring/module_form.html", course=course, form=form, module_slug=None)


@bp.route("/<course_slug>/modules/<module_slug>/edit", methods=["GET", "POST"])
def edit_module(course_slug, module_slug):
    course = author_course_or_404(course_slug)
    current = next((m for m in authoring.modules(authoring.draft_tree(course.slug)) if m[0] == module_slug), None)
    if current is None:
        abort(404)
    form = ModuleForm(data={"title": current[1], "summary": current[2]})
    if form.validate_on_submit():
        try:
            authoring.update_module(course.slug, module_slug, form.title.data, form.summary.data, _author())
            flash("Modul gespeichert (Entwurf).", "success")
            return redirect(url_for("authoring.course", course_slug=course.slug))
        except AuthoringError as error:
            _flash_messages(error.messages)
    return render_template("authoring/module_form.html", course=course, form=form, module_slug=module_slug)


@bp.route("/<course_slug>/modules/<module_slug>/move", methods=["POST"])
def move_module(course_slug, module_slug):
    course = author_course_or_404(course_slug)
    authoring.move_module(course.slug, module_slug, -1 if request.form.get("direction") == "up" else 1, _author())
    return redirect(url_for("authoring.course", course_slug=course.slug))


@bp.route("/<course_slug>/modules/<module_slug>/retire", methods=["POST"])
def retire_module(course_slug, module_slug):
    course = author_course_or_404(course_slug)
    authoring.retire_module(course.slug, module_slug, _author())
    flash("Modul stillgelegt (Entwurf). Fortschritt und Zertifikate bleiben erhalten.", "success")
    return redirect(url_for("authoring.course", course_slug=course.slug))


# --- lessons --------------------------------------------------------------------


def _save_lesson(course, module_slug, lesson_slug, form, new):
    try:
        _, warnings = authoring.save_lesson(course.slug, module_slug, lesson_slug, form.title.data.strip(),
                                            form.minutes.data, form.goal_list, form.body.data, _author(),
                                            new=new)
    except AuthoringError as error:
        _flash_messages(error.messages)
        return None
    _flash_warnings(warnings)
    flash("Gespeichert (Entwurf). Lernende sehen die Änderung nach dem Veröffentlichen.", "success")
    return redirect(url_for("authoring.edit_lesson", course_slug=course.slug, module_slug=module_slug,
                            lesson_slug=lesson_slug))


@bp.route("/<course_slug>/modules/<module_slug>/lessons/new", methods=["GET", "POST"])
def new_lesson(course_slug, module_slug):
    course = author_course_or_404(course_slug)
    form = LessonForm()
    if "preview" not in request.form and form.validate_on_submit():
        if not form.slug.data:
            form.slug.errors.append("Bitte gib einen Slug an.")
        else:
            response = _save_lesson(course, module_slug, form.slug.data, form, new=True)
            if response:
                return response
    return render_template("authoring/lesson_form.html", course=course, form=form, module_slug=module_slug,
                           lesson_slug=None, preview_html=_preview(course, form))


@bp.route("/<course_slug>/lessons/<module_slug>/<lesson_slug>", methods=["GET", "POST"])
def edit_lesson(course_slug, module_slug, lesson_slug):
    course = author_course_or_404(course_slug)
    entry = authoring.draft_tree(course.slug).get(lesson_key(module_slug, lesson_slug))
    if entry is None:
        abort(404)
    title, minutes, goals, body = authoring.parse_lesson(entry.text)
    form = LessonForm(data={"title": title, "minutes": minutes, "goals": "\n".join(goals), "body": body})
    if request.method == "POST" and "preview" not in request.form and form.validate_on_submit():
        response = _save_lesson(course, module_slug, lesson_slug, form, new=False)
        if response:
            return response
    return render_template("authoring/lesson_form.html", course=course, form=form, module_slug=module_slug,
                           lesson_slug=lesson_slug, preview_html=_preview(course, form))


def _preview(course, form):
    return _preview_html(course, form.body.data or "")


def _preview_html(course, text):
    """The text as learners would see it, or the reason it cannot be shown
    (an oversize or pathological text is refused at once, not rendered)."""
    try:
        return render_markdown(text, link_resolver(course.slug, build_content_url))
    except MarkdownTooComplex as problem:
        return str(Markup('<p class="field-error">Keine Vorschau: {}</p>').format(str(problem)))


@bp.route("/<course_slug>/preview", methods=["POST"])
def preview(course_slug):
    """The live preview: Markdown rendered and sanitised exactly as learners get it."""
    course = author_course_or_404(course_slug)
    return Response(_preview_html(course, request.form.get("body", "")), mimetype="text/html")


@bp.route("/<course_slug>/lessons/<module_slug>/<lesson_slug>/move", methods=["POST"])
def move_lesson(course_slug, module_slug, lesson_slug):
    course = author_course_or_404(course_slug)
    authoring.move_lesson(course.slug, module_slug, lesson_slug, -1 if request.form.get("direction") == "up" else 1,
                          _author())
    return redirect(url_for("authoring.course", course_slug=course.slug))


@bp.route("/<course_slug>/lessons/<module_slug>/<lesson_slug>/retire", methods=["POST"])
def retire_lesson(course_slug, module_slug, lesson_slug):
    course = author_course_or_404(course_slug)
    authoring.retire_lesson(course.slug, module_slug, lesson_slug, _author())
    flash("Lektion stillgelegt (Entwurf). Fortschritt und Zertifikate bleiben erhalten.", "success")
    return redirect(url_for("authoring.course", course_slug=course.slug))


# --- history ------------------------------------------------------------------


@bp.route("/<course_slug>/history/<path:key>")
def key_history(course_slug, key):
    course = author_course_or_404(course_slug)
    revisions = history(course.slug, key)
    if not revisions:
        abort(404)
    return render_template("authoring/history.html", course=course, key=key, label=key_label(key),
                           revisions=revisions)


@bp.route("/<course_slug>/history/<path:key>/diff")
def diff(course_slug, key):
    course = author_course_or_404(course_slug)
    numbers = [int_arg(name) for name in ("a", "b")]
    if None in numbers:
        abort(400)
    old, new = (get_revision(course.slug, key, n) for n in numbers)
    if old is None or new is None:
        abort(404)
    table = difflib.HtmlDiff(wrapcolumn=70).make_table(
        (old.text or "").splitlines(), (new.text or "").splitlines(),
        f"Version {old.number}", f"Version {new.number}", context=True, numlines=3)
    return render_template("authoring/diff.html", course=course, key=key, label=key_label(key), old=old, new=new,
                           table=table, identical=(old.text == new.text))


@bp.route("/<course_slug>/history/<path:key>/<id:number>")
def revision(course_slug, key, number):
    course = author_course_or_404(course_slug)
    found = get_revision(course.slug, key, number) or abort(404)
    return render_template("authoring/revision.html", course=course, key=key, label=key_label(key), revision=found)


@bp.route("/<course_slug>/history/<path:key>/<id:number>/restore", methods=["POST"])
def restore_revision(course_slug, key, number):
    course = author_course_or_404(course_slug)
    restored = restore(course.slug, key, number, _author())
    if restored is None:
        flash("Diese Version entspricht schon dem aktuellen Entwurf.", "info")
    else:
        flash(f"Version {number} ist als neue Version {restored.number} wiederhergestellt (Entwurf).", "success")
    return redirect(url_for("authoring.key_history", course_slug=course.slug, key=key))


# --- quizzes --------------------------------------------------------------------

# current_app.extensions key of the quiz quality per draft state (authoring.quiz_quality).
QUALITY_CACHE = "lms_quiz_quality"


def _quiz_or_new(course, quiz_slug):
    """(the quiz's data, new if it has no file yet; the draft tree it was read from)."""
    tree = authoring.draft_tree(course.slug)
    module_titles = {slug: title for slug, title, _ in authoring.modules(tree)}
    if quiz_slug not in module_titles and quiz_slug != "final":
        abort(404)
    data = authoring.quiz_data(course.slug, quiz_slug, tree)
    if data is None:
        data = new_quiz(f"Quiz: {module_titles.get(quiz_slug, 'Abschlusstest')}", final=quiz_slug == "final")
    return data, tree


def _save_quiz(course, quiz_slug, data, note, tree):
    try:
        _, warnings = authoring.save_quiz(course.slug, quiz_slug, data, _author(), note, tree)
    except AuthoringError as error:
        _flash_messages(error.messages)
        return False
    _flash_warnings(warnings)
    return True


@bp.route("/<course_slug>/quizzes/<quiz_slug>", methods=["GET", "POST"])
def quiz(course_slug, quiz_slug):
    course = author_course_or_404(course_slug)
    data, tree = _quiz_or_new(course, quiz_slug)
    form = QuizSettingsForm(data=data)
    if form.validate_on_submit():
        if not data["questions"]:
            flash("Lege zuerst eine Frage an; die Einstellungen werden mit ihr gespeichert.", "error")
        elif _save_quiz(course, quiz_slug, form.apply_to(data), "Einstellungen geändert", tree):
            flash("Einstellungen gespeichert (Entwurf).", "success")
            return redirect(url_for("authoring.quiz", course_slug=course.slug, quiz_slug=quiz_slug))
    # Refused saves leave the drafts as they were: ``tree`` is still current.
    quality = None
    if data["questions"]:
        quality = authoring.quiz_quality(course.slug, quiz_slug, tree,
                                         cache=current_app.extensions.setdefault(QUALITY_CACHE, {}))
    return render_template("authoring/quiz.html", course=course, quiz_slug=quiz_slug, data=data, form=form,
                           types=QUESTION_TYPES, key=quiz_key(quiz_slug), quality=quality)


@bp.route("/<course_slug>/quizzes/<quiz_slug>/questions/new", methods=["GET", "POST"])
def new_question(course_slug, quiz_slug):
    course = author_course_or_404(course_slug)
    question_type = QUESTION_TYPES.get(request.args.get("type", "")) or abort(404)
    data, tree = _quiz_or_new(course, quiz_slug)
    form = QuestionForm.for_type(question_type)()
    if request.method == "GET":
        form.id.data = new_question_id(data)
        question_type.prepare_editor(form)
    return _question_page(course, quiz_slug, data, tree, form, index=None)


@bp.route("/<course_slug>/quizzes/<quiz_slug>/questions/<question_id>", methods=["GET", "POST"])
def edit_question(course_slug, quiz_slug, question_id):
    course = author_course_or_404(course_slug)
    data, tree = _quiz_or_new(course, quiz_slug)
    index = next((i for i, q in enumerate(data["questions"]) if str(q.get("id")) == question_id), None)
    if index is None:
        abort(404)
    question = data["questions"][index]
    question_type = QUESTION_TYPES.get(str(question.get("type"))) or abort(404)
    form = QuestionForm.for_type(question_type)()
    if request.method == "GET":
        form.fill(question, quiz_slug)
        question_type.prepare_editor(form)
    return _question_page(course, quiz_slug, data, tree, form, index)


def _question_page(course, quiz_slug, data, tree, form, index):
    question_type = form.question_type
    form.set_lesson_choices(authoring.lesson_choices(tree))
    if request.method == "POST" and question_type.editor_action(form, request.form):
        pass  # the form changed (a row added); show it again
    elif form.validate_on_submit():
        question = form.to_question(quiz_slug)
        other_ids = {str(q.get("id")) for i, q in enumerate(data["questions"]) if i != index}
        if question["id"] in other_ids:
            form.id.errors.append("Diese Kennung hat schon eine andere Frage dieses Quiz.")
        else:
            if index is None:
                data["questions"].append(question)
            else:
                data["questions"][index] = question
            note = "Frage neu" if index is None else f"Frage {question['id']} geändert"
            if _save_quiz(course, quiz_slug, data, note, tree):
                flash("Frage gespeichert (Entwurf).", "success")
                return redirect(url_for("authoring.quiz", course_slug=course.slug, quiz_slug=quiz_slug))
    question_type.before_render(form)
    return render_template("authoring/question_form.html", course=course, quiz_slug=quiz_slug, form=form,
                           question_type=question_type, is_new=index is None)


@bp.route("/<course_slug>/quizzes/<quiz_slug>/questions/<question_id>/move", methods=["POST"])
def move_question(course_slug, quiz_slug, question_id):
    course = author_course_or_404(course_slug)
    data, tree = _quiz_or_new(course, quiz_slug)
    ids = [str(q.get("id")) for q in data["questions"]]
    if question_id not in ids:
        abort(404)
    index = ids.index(question_id)
    other = index + (-1 if request.form.get("direction") == "up" else 1)
    if 0 <= other < len(ids):
        questions = data["questions"]
        questions[index], questions[other] = questions[other], questions[index]
        _save_quiz(course, quiz_slug, data, f"Frage {question_id} verschoben", tree)
    return redirect(url_for("authoring.quiz", course_slug=course.slug, quiz_slug=quiz_slug))


@bp.route("/<course_slug>/quizzes/<quiz_slug>/questions/<question_id>/delete", methods=["POST"])
def delete_question(course_slug, quiz_slug, question_id):
    course = author_course_or_404(course_slug)
    data, tree = _quiz_or_new(course, quiz_slug)
    remaining = [q for q in data["questions"] if str(q.get("id")) != question_id]
    if len(remaining) == len(data["questions"]):
        abort(404)
    if not remaining:
        flash("Das ist die letzte Frage des Quiz; ein Quiz braucht mindestens eine.", "error")
    elif _save_quiz(course, quiz_slug, {**data, "questions": remaining}, f"Frage {question_id} gelöscht", tree):
        flash("Frage gelöscht (Entwurf). Über die Versionsgeschichte lässt sie sich wiederherstellen.", "success")
    return redirect(url_for("authoring.quiz", course_slug=course.slug, quiz_slug=quiz_slug))


@bp.route("/<course_slug>/quizzes/<quiz_slug>/gift", methods=["GET", "POST"])
def gift_import(course_slug, quiz_slug):
    course = author_course_or_404(course_slug)
    data, tree = _quiz_or_new(course, quiz_slug)
    form = GiftForm()
    result = None
    if form.validate_on_submit():
        text = form.text.data or ""
        if form.file.data:
            try:
                text = read_gift_file(form.file.data)
            except GiftFileError as error:
                flash(str(error), "error")
                text = None
        if text is not None:
            result = parse_gift(text, existing_ids={str(q.get("id")) for q in data["questions"]})
            if not result.questions:
                flash("In diesem GIFT-Text ist keine Frage, die übernommen werden kann.", "error")
            elif _save_quiz(course, quiz_slug, {**data, "questions": data["questions"] + result.questions},
                            f"{len(result.questions)} Frage(n) aus GIFT importiert", tree):
                flash(f"{len(result.questions)} Frage(n) übernommen (Entwurf). Prüfe sie und ergänze Rückmeldungen.",
                      "success")
            else:
                result = None
    return render_template("authoring/gift.html", course=course, quiz_slug=quiz_slug, form=form, result=result)


@bp.route("/<course_slug>/quizzes/<quiz_slug>/statistics")
def statistics(course_slug, quiz_slug):
    course = author_course_or_404(course_slug)
    quiz = author_quiz_or_404(course, quiz_slug)
    return render_template("authoring/statistics.html", course=course, quiz=quiz, stats=quiz_statistics(quiz))


# --- publish, export, import ------------------------------------------------------


@bp.route("/<course_slug>/publish", methods=["GET", "POST"])
def publish_course(course_slug):
    course = author_course_or_404(course_slug)
    if request.method == "POST":
        try:
            version, changes, _ = publish(course, _author(), build_content_url)
            flash(f"Veröffentlicht: Version {version} mit {len(changes)} Änderung(en). "
                  "Neue Zertifikate tragen diese Version.", "success")
            return redirect(url_for("authoring.course", course_slug=course.slug))
        except NothingToPublish:
            flash("Es gibt keine unveröffentlichten Änderungen.", "info")
        except ContentErrors as errors:
            flash("Nicht veröffentlicht: Die Entwürfe haben Fehler. Nichts wurde geändert.", "error")
            _flash_messages(authoring.draft_problems(course.slug, errors))
    return render_template("authoring/publish.html", course=course, changes=pending_changes(course.slug),
                           key_label=key_label)


@bp.route("/<course_slug>/export.zip")
def export(course_slug):
    course = author_course_or_404(course_slug)
    data = export_zip(course.slug, media_dir(current_app.instance_path))
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{course.slug}-{course.version}.zip"'})


IMPORT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # secrets.token_urlsafe(16) gives 22
PREVIEW_LIFETIME_SECONDS = 24 * 60 * 60  # an uploaded zip waits this long for confirm or cancel


def _imports_dir():
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(exist_ok=True)
    return path


def _preview_path(token):
    if not IMPORT_TOKEN.fullmatch(token):
        abort(404)
    return _imports_dir() / f"{token}.zip"


def _sweep_old_previews():
    """Remove uploads whose preview was neither confirmed nor cancelled in time."""
    cutoff = time.time() - PREVIEW_LIFETIME_SECONDS
    for path in _imports_dir().glob("*.zip"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # confirmed or cancelled meanwhile
            pass


@bp.route("/<course_slug>/import", methods=["GET", "POST"])
def import_zip(course_slug):
    course = author_course_or_404(course_slug)
    form = ZipUploadForm()
    if form.validate_on_submit():
        _sweep_old_previews()
        data = form.file.data.read()
        try:
            imported = read_zip(data, expected_course_slug=course.slug)
        except ContentErrors as errors:
            flash("Die Zip-Datei wurde nicht übernommen:", "error")
            _flash_messages(str(error) for error in errors.errors)
        else:
            token = secrets.token_urlsafe(16)
            (_imports_dir() / f"{token}.zip").write_bytes(data)
            return render_template("authoring/import_preview.html", course=course, imported=imported, token=token,
                                   key_label=key_label)
    return render_template("authoring/import.html", course=course, form=form)


@bp.route("/<course_slug>/import/<token>", methods=["POST"])
def confirm_import(course_slug, token):
    course = author_course_or_404(course_slug)
    path = _preview_path(token)
    if not path.is_file():
        flash("Diese Vorschau ist abgelaufen. Lade die Zip-Datei noch einmal hoch.", "error")
        return redirect(url_for("authoring.import_zip", course_slug=course.slug))
    try:
        imported = read_zip(path.read_bytes(), expected_course_slug=course.slug)
        apply_import(imported, _author(), build_content_url, media_dir(current_app.instance_path))
        flash(f"Importiert und als Version {imported.version} veröffentlicht: {len(imported.changes)} Änderung(en).",
              "success")
    except ContentErrors as errors:
        flash("Nicht importiert; nichts wurde geändert.", "error")
        _flash_messages(str(error) for error in errors.errors)
    finally:
        path.unlink(missing_ok=True)
    return redirect(url_for("authoring.course", course_slug=course.slug))


@bp.route("/<course_slug>/import/<token>/cancel", methods=["POST"])
def cancel_import(course_slug, token):
    course = author_course_or_404(course_slug)
    _preview_path(token).unlink(missing_ok=True)
    flash("Import abgebrochen. Nichts wurde geändert.", "info")
    return redirect(url_for("authoring.course", course_slug=course.slug))


# --- images ----------------------------------------------------------------------


@bp.route("/media", methods=["GET", "POST"])
def media():
    form = ImageUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            prepared = prepare_image(upload.read(MAX_UPLOAD_BYTES + 1))
        except MediaError as error:
            form.file.errors.append(str(error))
        else:
            row = store_image(media_dir(current_app.instance_path), prepared, upload.filename, _author())
            flash(f"Bild gespeichert. Einbinden mit: ![Beschreibung](/media/{row.name})", "success")
            return redirect(url_for("authoring.media"))
    files = list(MediaFile.select().order_by(MediaFile.uploaded_at.desc()).limit(200))
    return render_template("authoring/media.html", form=form, files=files)

