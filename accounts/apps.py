from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # accounts depends on notes, never the reverse: it plugs its readers' data into the
        # notes code through the seam notes.hooks defines.
        from accounts.background import reanchor_on_publish
        from accounts.reader_layer import AccountsReaderLayer, quotes_on_rerender
        from notes.hooks import reader_layer_register, revision_published, revision_rerendered

        revision_published.connect(reanchor_on_publish, dispatch_uid="accounts.reanchor_on_publish")
        revision_rerendered.connect(quotes_on_rerender, dispatch_uid="accounts.quotes_on_rerender")
        reader_layer_register(AccountsReaderLayer())
