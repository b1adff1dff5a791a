"""The Train page's form: presets, the hyperparameter widgets (one per TrainingField), their summary,
bringing stale values back into range, and turning the form into library configs."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import streamlit as st

from studio.runtime import server_limits
from studio.state import KEEP
from studio.training_fields import TRAINING_FIELDS, field_bounds
from textvae.presets import DEFAULT_PRESET, POSTERIOR_COLLAPSE, PRESETS, preset_by_title

if TYPE_CHECKING:
    from textvae import TokenizerConfig, TrainConfig

PREFIX = KEEP + "train."  # the form's widget keys: PREFIX + field name
FROM_BASE = PREFIX + "from_base"  # the "Start from the base model" toggle (studio.base_choice)
PRESET_TITLES = [p.title for p in PRESETS.values()]  # the preset picker's options
DEFAULT_TITLE = PRESETS[DEFAULT_PRESET].title
FLOAT_MODEL_FIELDS = ("word_dropout", "embed_dropout", "output_dropout", "bn_gamma")
INT_TRAINING_FIELDS = ("epochs", "batch_size", "kl_cycles", "pretrain_epochs")


def preset_values(title: str) -> dict:
    """A preset's values as the form's widgets hold them (textvae.presets is the one source)."""
    values = {k: 0 if v is None else v for k, v in preset_by_title(title).values().items()}  # widgets: 0 means "none"
    if title == DEFAULT_TITLE and os.environ.get("TEXTVAE_QUICK_MINUTES"):
        values["max_minutes"] = float(os.environ["TEXTVAE_QUICK_MINUTES"])  # tests and demos can shorten it
    return values


def apply_preset() -> None:
    """on_change of the preset picker: copy the preset's values into the form's widgets."""
    name = st.session_state.get(PREFIX + "preset") or DEFAULT_TITLE
    for key, value in preset_values(name).items():
        st.session_state[PREFIX + key] = value
    st.session_state[PREFIX + "max_minutes"] = min(
        st.session_state[PREFIX + "max_minutes"], server_limits().max_train_minutes
    )


def toggle_collapse_demo() -> None:
    """on_change of "Show posterior collapse": the default preset with the fixes off, from scratch; or back."""
    on = st.session_state.get(PREFIX + "collapse")
    st.session_state[PREFIX + "preset"] = DEFAULT_TITLE
    apply_preset()
    if on:
        for key, value in POSTERIOR_COLLAPSE.items():
            st.session_state[PREFIX + key] = 0 if value is None else value
        st.session_state[PREFIX + "preset"] = None  # custom settings now: the form summary shows them
    st.session_state[FROM_BASE] = not on  # the base model was trained with the fixes: collapse needs a new model


def field_widgets(group: str) -> None:
    """The widgets for one group of fields (model, training, tokenizer), each with a one-line explanation (help)."""
    items = [f for f in TRAINING_FIELDS if f.group == group]
    limits = server_limits()
    cols = st.columns(3)
    for i, f in enumerate(items):
        key = PREFIX + f.name
        col = cols[i % 3]
        if f.kind == "int":
            high = min(int(f.high), limits.max_vocab) if f.name == "vocab_size" else int(f.high)
            col.number_input(f.label, int(f.low), high, step=int(f.step), key=key, help=f.help)
        elif f.kind == "float":
            high = min(float(f.high), limits.max_train_minutes) if f.name == "max_minutes" else float(f.high)
            col.number_input(f.label, float(f.low), high, step=float(f.step), key=key, help=f.help, format="%.4g")
        elif f.kind == "choice":
            col.selectbox(f.label, list(f.choices), key=key, help=f.help)
        else:
            col.toggle(f.label, key=key, help=f.help)


def _values() -> dict:
    return {f.name: st.session_state[PREFIX + f.name] for f in TRAINING_FIELDS}


def form_summary() -> str:
    """One line with the fields that matter most, so nobody has to open the expanders to see them."""
    v = _values()
    limit = f"≤ {v['max_minutes']:g} min" if v["max_minutes"] else "no time limit"
    kl = (
        f"{v['kl_schedule']} KL schedule"
        + (f", free bits {v['free_bits']:g}" if v["free_bits"] else "")
        + (", BN-VAE" if v["bn_vae"] else "")
    )
    lr = f"lr {v['lr']:g}{' (cosine decay)' if v['lr_schedule'] == 'cosine' else ''}" + (
        f", {v['fine_tune_lr']:g} fine-tuning" if v["fine_tune_lr"] else ""
    )
    return (
        f"{v['rnn'].upper()} {v['embed_dim']}/{v['hidden_dim']}{'' if v['bidirectional'] else ', one-way encoder'}, "
        f"latent {v['latent_dim']} · "
        f"{v['epochs']} epochs, {limit}, batch {v['batch_size']}, {lr} · {kl} · "
        f"{v['kind']} vocabulary ≤ {v['vocab_size']:,}"
    )


def init_form() -> None:
    """Defaults for the form's widgets; a value outside its range is brought back into it, with a warning."""
    st.session_state.setdefault(PREFIX + "preset", DEFAULT_TITLE)
    for key, value in preset_values(DEFAULT_TITLE).items():
        st.session_state.setdefault(PREFIX + key, value)
    st.session_state.setdefault(PREFIX + "seed", 0)
    for message in clamp_fields():
        st.warning(message, icon=":material/warning:")


def clamp_fields() -> list[str]:
    """Bring numeric fields outside their widget's range (a preset over this server's limits, a stale
    value) back into it, and say so: Streamlit would otherwise reset such a widget to its minimum, silently."""
    limits, messages = server_limits(), []
    for f in TRAINING_FIELDS:
        if f.kind not in ("int", "float"):
            continue
        key = PREFIX + f.name
        value = st.session_state.get(key)
        low, high = field_bounds(f, limits)
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if number and low <= value <= high:
            continue
        new = min(max(value, low), high) if number else preset_values(DEFAULT_TITLE)[f.name]
        new = int(new) if f.kind == "int" else float(new)
        st.session_state[key] = new
        limit = " (this server's limit)" if number and value > high and high < float(f.high) else ""
        shown = f"{value:,g}" if number else repr(value)
        messages.append(
            f"{f.label}: {shown} is outside the allowed range {low:,g} to {high:,g}{limit}; it is set to {new:,g}."
        )
    return messages


def form_configs() -> tuple[dict, TrainConfig, TokenizerConfig]:
    """The form's values as library configs (TextVAEError if a combination is invalid)."""
    from textvae import TextVAEError, TokenizerConfig, TrainConfig, VAEConfig

    value = _values()
    model = {
        f.name: (
            int(v)
            if isinstance(v := value[f.name], (int, float))
            and not isinstance(v, bool)
            and f.name not in FLOAT_MODEL_FIELDS
            else v
        )
        for f in TRAINING_FIELDS
        if f.group == "model"
    }
    training = {f.name: value[f.name] for f in TRAINING_FIELDS if f.group == "training"}
    limits = server_limits()
    # The server's limit applies to every run; "no limit" means "as long as the server allows".
    training["max_minutes"] = min(float(training["max_minutes"]) or limits.max_train_minutes, limits.max_train_minutes)
    training["patience"] = int(training["patience"]) or None
    training["valid_every"] = int(training["valid_every"]) or None
    training["latent_every"] = int(training["latent_every"]) or None
    training["fine_tune_lr"] = float(training["fine_tune_lr"]) or None
    training["seed"] = int(st.session_state[PREFIX + "seed"])
    for k in INT_TRAINING_FIELDS:
        training[k] = int(training[k])
    tokenizer = TokenizerConfig(**{f.name: value[f.name] for f in TRAINING_FIELDS if f.group == "tokenizer"})
    tokenizer.vocab_size, tokenizer.min_frequency = int(tokenizer.vocab_size), int(tokenizer.min_frequency)
    config = VAEConfig(vocab_size=tokenizer.vocab_size, **model)
    # before validate(): its limit is the library's, higher than the server's
    if config.num_parameters() > limits.max_parameters:
        raise TextVAEError(
            f"This model would have up to {config.num_parameters():,} parameters; "
            f"this server allows {limits.max_parameters:,}. Lower the hidden size, embedding size or vocabulary."
        )
    config.validate()  # refuse impossible settings now, not in the worker
    return model, TrainConfig(**training), tokenizer
