"""A visitor's conversations with the bot belong to their browser session: the ids are
kept in the session, for the chat page and the API alike."""

SESSION_KEY = "consult_conversations"


def session_ids(request) -> list[int]:
    return list(request.session.get(SESSION_KEY, [])) if hasattr(request, "session") else []


def remember_conversation(request, conversation_id: int) -> None:
    """A visitor's conversations are theirs for this browser session only."""
    if request.user.is_authenticated or not hasattr(request, "session"):
        return
    ids = session_ids(request)
    if conversation_id not in ids:
        request.session[SESSION_KEY] = [*ids[-19:], conversation_id]
