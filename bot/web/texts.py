"""Every text the web console shows; the German and English wording is in the catalogues."""

from __future__ import annotations

from bot.core.i18n import Plural, Text

TITLE = Text("klbot web console")
SKIP_TO_CONTENT = Text("Skip to the content")
NAV_START = Text("Overview")
NAV_FEEDBACK = Text("Feedback")
NAV_DIGEST = Text("Weekly digest")
NAV_ANNOUNCEMENTS = Text("Announcements")
NAV_KNOWLEDGE = Text("Knowledge")
SIGNED_IN_AS = Text("Signed in as {identity}")
SIGN_OUT = Text("Sign out")
MAIN_MENU = Text("Main menu")

# signing in and out
SIGN_IN_TITLE = Text("Sign in")
SIGN_IN_AS = Text("Sign in to the web console as {identity}.")
SIGN_IN = Text("Sign in")
LINK_INVALID = Text(
    "This link does not work (any more): a link is valid for 10 minutes and only once. "
    "Send /web to the bot in a direct chat for a new one."
)
TOO_MANY_FAILURES = Text(
    "Too many attempts with links that do not work. Please wait 15 minutes and ask for a "
    "new link with /web."
)
SIGNED_OUT = Text("You are signed out. Send /web to the bot in a direct chat to sign in again.")
NOT_SIGNED_IN = Text(
    "Please sign in first: send /web to the bot in a direct chat and open the link it sends."
)
NOT_ALLOWED = Text("This page is for staff only; you cannot open or change it.")
NO_CONSOLE_ROLE = Text(
    "{identity} holds no staff or board role, so the web console is not open to it."
)
FORM_EXPIRED = Text(
    "The form was not accepted (its security token is missing or out of date). Please "
    "reload the page and try again."
)
NOT_FOUND = Text("There is no such page. It may have been deleted.")
NOT_FOUND_TITLE = Text("Not found")
REFUSED_TITLE = Text("Not allowed")
SERVER_ERROR = Text("Something went wrong on our side; nothing was changed. Please try again.")
ERROR_TITLE = Text("Error")
BACK_TO_START = Text("Back to the overview")

# the start page
WELCOME = Text("Overview")
CHART_FEEDBACK_WEEKS = Text("Feedback per week by topic")
CHART_RATINGS = Text("Ratings of feedback")
CHART_QUESTIONS = Text("Questions per day: answered, unanswered and 👍 rate")
CHART_GAPS = Text("Most frequent unanswered questions")
CHART_BROADCASTS = Text("Recent announcements: delivery rate")
SERIES_ANSWERED = Text("answered")
SERIES_UNANSWERED = Text("unanswered")
SERIES_SHARE_ANSWERED = Text("share answered (%)")
SERIES_THUMBS_UP = Text("👍 rate (%)")
SERIES_COUNT = Text("count")
SERIES_DELIVERED = Text("delivered (%)")
NO_RATING = Text("no rating")
LAST_WEEKS = Text("the last {weeks} weeks")
LAST_DAYS = Text("the last {days} days")
NO_DATA = Text("No data yet.")
AS_TABLE = Text("The numbers as a table")
OPEN_INBOX = Plural(
    "{count} piece of feedback waits to be read or answered.",
    "{count} pieces of feedback wait to be read or answered.",
)

# feedback
INBOX = Text("Feedback")
FILTERS = Text("Filter")
STATUS = Text("Status")
STATUS_OPEN = Text("new and read")
STATUS_ALL = Text("every status")
TOPIC = Text("Topic")
TOPIC_ALL = Text("every topic")
RATING = Text("Rating")
RATING_ALL = Text("every rating")
FROM = Text("From (date)")
UNTIL = Text("Until (date)")
SEARCH = Text("Search in the text")
APPLY = Text("Show")
RESET = Text("Reset the filter")
FOUND = Plural("{count} piece of feedback found", "{count} pieces of feedback found")
FOUND_MORE = Plural(
    "More than {count} piece of feedback found; the newest is listed, more words narrow the search",
    "More than {count} pieces of feedback found; the newest are listed, more words narrow the "
    "search",
)
PAGE = Text("Page {page} of {pages}")
PREVIOUS = Text("Previous page")
NEXT = Text("Next page")
PAGES = Text("Pages")
EXPORT_CSV = Text("Export as CSV")
EXPORT_JSON = Text("Export as JSON")
COL_REFERENCE = Text("Reference")
COL_DATE = Text("Date")
COL_TEXT = Text("Text")
BAD_DATE = Text("“{value}” is not a date; please use the date field (e.g. 2025-03-31).")
BAD_RATING = Text("“{value}” is not a rating; ratings go from 1 to 5.")
BAD_PAGE = Text("“{value}” is not a page number.")
FEEDBACK_TITLE = Text("Feedback {reference}")
RECEIVED = Text("Received")
FROM_WHOM = Text("From")
ABOUT_ANSWER = Text("About the answer")
HISTORY = Text("Answers so far")
NO_ANSWERS = Text("No answer yet.")
ANSWER = Text("Your answer")
ANSWER_HINT = Plural(
    "It goes to the person's chat; {count} character at most.",
    "It goes to the person's chat; {count} characters at most.",
)
SEND_ANSWER = Text("Send the answer")
EMPTY_ANSWER = Text("Please write an answer first.")
CLOSE = Text("Close")
REOPEN = Text("Reopen")
CLOSED_NOTE = Text("This feedback is closed. Reopen it to answer it.")
CLOSED_DONE = Text("{reference} is closed.")
REOPENED_DONE = Text("{reference} is open again.")
BACK_TO_INBOX = Text("Back to the feedback list")

# the digest
DIGEST = Text("Weekly feedback digest")

# knowledge
KNOWLEDGE = Text("Knowledge")
CURRENT_VERSION = Text("Version {version} from {source}")
ENTRIES = Plural("{count} entry", "{count} entries")
COL_ID = Text("Id")
COL_KIND = Text("Kind")
COL_TITLE = Text("Title")
GAPS = Text("Questions without an answer (the last {days} days)")
NO_GAPS = Text("Every question found an answer.")
ASKED = Plural("asked {count} time", "asked {count} times")
TEACH_TO = Text("Entry that answers it")
TEACH = Text("Teach")
RELOAD = Text("Reload the configured file")
RELOAD_HINT = Text("Re-reads the file named in [knowledge] file, as /reload does.")
IMPORT = Text("Import a file")
IMPORT_FILE = Text("Content file (TOML)")
IMPORT_BUTTON = Text("Check and import")
NO_FILE = Text("Please choose a file first.")
FILE_TOO_LARGE = Text("{name} is larger than {limit}; nothing was imported.")
NOT_UTF8 = Text("{name} is not a UTF-8 text file; nothing was imported.")
GAP_OR_ENTRY_GONE = Text(
    "That question or entry no longer exists (retention period or a new version); "
    "the lists below are current."
)

# announcements
ANNOUNCEMENTS = Text("Announcements")
COMPOSE = Text("New announcement")
AUDIENCE = Text("Recipients")
RECIPIENTS = Plural("{name} ({count} recipient)", "{name} ({count} recipients)")
TEXT_DE = Text("Text in German")
TEXT_EN = Text("Text in English (optional: without it everyone gets the German one)")
WHEN = Text("When")
WHEN_HINT = Text(
    "Empty: at once. A time such as “tomorrow 9am” or “{date} 10:00”, or a rule such as "
    "“every Monday at 9” or “every weekday at 8”."
)
PREVIEW = Text("Preview")
PREVIEW_TITLE = Text("Preview: what recipients read on Telegram and Matrix")
PREVIEW_WHEN = Text("Goes out: {when}")
IN_GERMAN = Text("in German")
IN_ENGLISH = Text("in English")
FILE = Text("Send or plan it")
PENDING = Text("Pending announcements")
NOTHING_PENDING = Text("No pending announcements.")
AT_ONCE = Text("at once")
APPROVE = Text("Approve #{id}")
CANCEL = Text("Cancel #{id}")
BAD_AUDIENCE = Text("Please choose the recipients from the list.")
GERMAN_MISSING = Text("Please write the German text; it is the one everyone can get.")
TEXT_TOO_LONG = Text("A text has {length} characters; {limit} at most, please.")
PLANNED_WEB = Text("Announcement #{id} is planned; it is in the list below.")
QUEUED_WEB = Text("Announcement #{id} is going out now.")
PASSED_WEB = Text(
    "Announcement #{id} was planned for a time that has passed, so it was not approved. "
    "Send it now from the list below, or give it a new time with /edit {id} in the chat."
)
SEND_PASSED_NOW = Text("Approve #{id} and send it now")
CANCELLED_WEB = Text("Announcement #{id} is cancelled.")
NOT_PENDING_WEB = Text("Announcement #{id} is no longer pending, so it cannot be cancelled.")
AUTHOR = Text("by {author}")
ANNOUNCEMENT = Text("Announcement #{id}")
OPEN_ANNOUNCEMENT = Text("Show #{id}")
EDIT = Text("Change #{id}")
BACK_TO_ANNOUNCEMENTS = Text("Back to the announcements")
WRITTEN_BY = Text("Written by")
ENDED_STATES = {
    "done": Text("delivered"),
    "cancelled": Text("cancelled"),
    "skipped": Text("skipped"),
}
CHANGE = Text("Change it")
WHEN_KEEP_HINT = Text(
    "Empty: it stays as it is ({when}). A time such as “tomorrow 9am” or “{date} 10:00”, "
    "or a rule such as “every Monday at 9” or “every weekday at 8”."
)
SAVE = Text("Save the changes")
SAVED_WEB = Text("Announcement #{id} is saved.")
APPROVE_AGAIN_WEB = Text(
    "Announcement #{id} to everyone has changed, so a second person has to approve it "
    "again; it is in the list below."
)
UNCHANGED_WEB = Text("Nothing was changed in announcement #{id}.")
TEXTS = Text("Texts")
SPLIT = Plural("sent as {count} message", "sent as {count} messages")
DELIVERY = Text("Delivery")
DELIVERED = Text("Delivered")
DELIVERED_OF = Text("{delivered} of {count}")
UNDELIVERABLE = Text("Undeliverable")
UNCERTAIN = Text("Unclear whether they arrived")
TIME_LEFT = Text("Time left")
ABOUT_MINUTES = Plural("about {count} minute", "about {count} minutes")
FINISHED = Text("none: finished")
ESTIMATING = Text("known once the first messages are out")
RECENT = Text("Recently sent")
NOTHING_SENT = Text("Nothing sent yet.")
