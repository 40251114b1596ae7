"""How an annotation request is refused: AnnotationError, whose messages say what to fix."""

MAX_MESSAGES = 50  # a file with thousands of bad items gets a readable answer, not a wall


class AnnotationError(ValueError):
    """A request that cannot be carried out; the messages say what to fix."""

    def __init__(self, *messages: str):
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def capped(messages: list[str]) -> list[str]:
    """At most MAX_MESSAGES of `messages`, then a line saying how many more there are."""
    if len(messages) <= MAX_MESSAGES:
        return messages
    return [*messages[:MAX_MESSAGES], f"and {len(messages) - MAX_MESSAGES:,} more problems"]
