"""Figures of the shipped course and its guide (Leitfaden).

Counts modules, lessons, templates, quiz questions by type and words, sums
the estimated learning time, then builds the guide PDF (median of several
builds) and reports its size and page count.

    .venv/bin/python benchmarks/course_figures.py [--repeat 3]
"""
import argparse
import io
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import create_app  # noqa: E402
from lms.urls import build_content_url  # noqa: E402
from lms.content.loader import load_content  # noqa: E402
from lms.database import migrate  # noqa: E402
from lms.guide import compile_guide, guide_pdf  # noqa: E402
from lms.models import Course  # noqa: E402

WORD = re.compile(r"\w+(?:[-*]\w+)*")


def words(text):
    return len(WORD.findall(text))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="guide builds to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INSTANCE_PATH": folder, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3"})
        with app.app_context():
            migrate()
            courses, _ = load_content(app.config["COURSE_DIR"], app.config["QUIZ_DIR"], build_content_url)
            for source in courses:
                lessons = [lesson for module in source.modules for lesson in module.lessons]
                types = Counter(q["type"] for quiz in source.quizzes for q in quiz.questions)
                lesson_words = sum(words(lesson.body) for lesson in lessons)
                handout_words = sum(words(h.body) for h in source.handouts)
                print(f"Course {source.slug} (version {source.version})")
                print(f"  modules:            {len(source.modules)}")
                print(f"  lessons:            {len(lessons)} "
                      f"({min(len(m.lessons) for m in source.modules)}-{max(len(m.lessons) for m in source.modules)} per module)")
                print(f"  templates:          {len(source.handouts)}")
                print(f"  quizzes:            {len(source.quizzes)}")
                print(f"  questions:          {sum(types.values())} ({', '.join(f'{t} {n}' for t, n in sorted(types.items()))})")
                print(f"  words in lessons:   {lesson_words}")
                print(f"  words in templates: {handout_words}")
                print(f"  learning time:      {sum(lesson.minutes for lesson in lessons)} minutes (sum of the lessons' estimates)")

                course = Course.get(Course.slug == source.slug)
                timings, data = [], b""
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    data = guide_pdf(compile_guide(course))
                    timings.append(time.perf_counter() - started)
                from pypdf import PdfReader

                pages = len(PdfReader(io.BytesIO(data)).pages)
                print(f"  guide PDF:          {len(data) / 1024:.0f} KiB, {pages} pages, "
                      f"built in {statistics.median(timings):.2f} s (median of {args.repeat})")


if __name__ == "__main__":
    main()
