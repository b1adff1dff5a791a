"""The one error type the package raises for anything a person did wrong."""


class TextVAEError(Exception):
    """A problem with the user's input (file, corpus, argument or model bundle).

    The message is written for a person: it says what is wrong and what to do.
    Everything else that escapes the package is a bug.
    """
