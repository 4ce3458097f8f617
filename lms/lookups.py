"""Finding courses, lessons, quizzes and templates by their slugs for a
view, with one rule written down here:

- **Learners never see retired content.** Their lookups go through the
  catalog of published courses (``lms.catalog``), which holds no retired
  course, module, lesson, quiz or template.
- **Authors see retired content too**: a retired quiz keeps its item
  statistics, every file its history. Only a retired course is closed to
  both: its files are gone, so there is nothing left to edit.

Every lookup answers 404 when nothing matches.
"""
from flask import abort

from .catalog import published_course
from .models import Course, Quiz


# --- learners: published content only -----------------------------------------


def learner_course_or_404(course_slug):
    return (published_course(course_slug) or abort(404)).course


def learner_lesson_or_404(course, module_slug, lesson_slug):
    return published_course(course.slug).lesson(module_slug, lesson_slug) or abort(404)


def learner_quiz_or_404(course, quiz_slug):
    return published_course(course.slug).quiz(quiz_slug) or abort(404)


def learner_handout_or_404(course, handout_slug):
    return next((h for h in published_course(course.slug).handouts if h.slug == handout_slug), None) or abort(404)


# --- authors: retired content included (except retired courses) -------------------


def author_course_or_404(course_slug):
    return Course.get_or_none((Course.slug == course_slug) & ~Course.is_retired) or abort(404)


def author_quiz_or_404(course, quiz_slug):
    return Quiz.get_or_none((Quiz.course == course) & (Quiz.slug == quiz_slug)) or abort(404)
