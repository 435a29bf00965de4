"""The dashboard's modal dialogs, each a typed `ModalScreen[T]`."""
