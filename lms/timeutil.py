"""Time helpers. The database stores naive UTC; people read Europe/Berlin."""
import calendar
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo


def utcnow():
    """The current time as naive UTC, the form every timestamp is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def add_months(moment, months):
    """``moment`` plus whole calendar months, clamping to the month's last day
    (31 January + 1 month = 28/29 February)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def to_local(moment, tz_name="Europe/Berlin"):
    """A stored naive-UTC timestamp as an aware local one."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz_name))


def format_date(moment, tz_name="Europe/Berlin"):
    """German date, e.g. 05.03.2026."""
    local = to_local(moment, tz_name)
    return local.strftime("%d.%m.%Y") if local else ""


def format_datetime(moment, tz_name="Europe/Berlin"):
    """German date and time, e.g. 05.03.2026, 14:30 Uhr."""
    local = to_local(moment, tz_name)
    return local.strftime("%d.%m.%Y, %H:%M Uhr") if local else ""


def end_of_local_day(day, tz_name="Europe/Berlin"):
    """The last moment of calendar day ``day`` in local time, as naive UTC."""
    local = datetime.combine(day, time.max, tzinfo=ZoneInfo(tz_name))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def from_local(local, tz_name="Europe/Berlin"):
    """A naive wall-clock time in ``tz_name`` (what a form says: "18:00")
    as naive UTC, daylight saving included. A time that occurs twice (the
    autumn hour) means its first occurrence; one that does not exist (the
    spring gap) is read with the offset before the change."""
    aware = local.replace(tzinfo=ZoneInfo(tz_name))
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def local_date(moment, tz_name="Europe/Berlin"):
    """The local calendar day of a stored naive-UTC timestamp."""
    return to_local(moment, tz_name).date()


def format_duration(minutes):
    """'etwa 45 Minuten', 'etwa 5 Stunden', 'etwa 5,5 Stunden' (to the half hour)."""
    if minutes < 60:
        return f"etwa {minutes} Minuten"
    hours = round(minutes / 30) / 2
    text = f"{hours:.1f}".replace(".0", "").replace(".", ",")
    return f"etwa {text} Stunde{'' if hours == 1 else 'n'}"
