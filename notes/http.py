"""What every view that answers both page scripts and plain forms needs to know."""


def wants_json(request) -> bool:
    """The page scripts ask for JSON; forms posted without JavaScript get pages."""
    return "application/json" in request.headers.get("Accept", "")
