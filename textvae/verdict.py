"""What a finished training means, in plain words: whether the time budget cut it short, and what its
held-out numbers promise for the sentences a person will read (the app's and the CLI's last message)."""

from __future__ import annotations

# Held-out greedy reconstruction accuracy (share of tokens) at which samples and reconstructions change character.
ROUGH, FAIR = 0.15, 0.35
COLLAPSED_KL = 0.5  # nats: below this the code says next to nothing about the sentence


def budget_note(metrics: dict) -> str | None:
    """'The 1-minute time budget stopped training in epoch 4 of 20.' or None when training ran its course."""
    result, training = metrics.get("result") or {}, metrics.get("training") or {}
    if result.get("reason") != "time_limit":
        return None
    minutes, epochs = training.get("max_minutes"), training.get("epochs")
    budget = f"{minutes:g}-minute time budget" if isinstance(minutes, (int, float)) else "time budget"
    done = int(result.get("epochs_done") or 0)
    of = f" of {epochs}" if isinstance(epochs, int) else ""
    return f"The {budget} stopped training in epoch {done + 1}{of}."


def early_stop_note(metrics: dict) -> str | None:
    """'Stopped early after 2 full epochs of 20: the held-out ELBO had not improved for 3 validations.' or None."""
    result, training = metrics.get("result") or {}, metrics.get("training") or {}
    if result.get("reason") != "early_stopping":
        return None
    epochs, patience = training.get("epochs"), training.get("patience")
    of = f" of {epochs}" if isinstance(epochs, int) else ""
    times = f" for {patience} validations" if isinstance(patience, int) else ""
    done = int(result.get("epochs_done") or 0)
    return (
        f"Stopped early after {done} full epoch{'' if done == 1 else 's'}{of}: the held-out ELBO had not "
        f"improved{times}, so more training would not have helped."
    )


def quality_note(metrics: dict) -> str:
    """A verdict from held-out metrics: token accuracy of greedy reconstructions, and the KL."""
    valid = metrics.get("valid") or {}
    accuracy, kl = valid.get("recon_token_acc"), valid.get("kl")
    if not isinstance(accuracy, (int, float)):
        return "No held-out reconstructions were measured."
    said = f"It reconstructs {accuracy:.0%} of held-out tokens"
    if isinstance(kl, (int, float)) and kl < COLLAPSED_KL:
        return (
            f"{said}, but its code carries almost nothing ({kl:.2f} nats): posterior collapse. "
            "Keep free bits or KL annealing on."
        )
    if accuracy < ROUGH:
        return f"{said}: samples and reconstructions will be rough. Balanced or Best quality do better."
    if accuracy < FAIR:
        return f"{said}: the gist survives the round trip; details do not. A longer preset sharpens it."
    return f"{said}: reconstructions keep much of the sentence, and interpolations should read well."


def verdict(metrics: dict) -> str:
    """Both notes in one message."""
    notes = (budget_note(metrics), early_stop_note(metrics), quality_note(metrics))
    return " ".join(note for note in notes if note)
