"""Run: configure a small study, launch it with a progress bar, find it under Studies.

The page builds an ordinary study spec (:class:`socialrl.study.StudySpec`: a model from a plugin
and a learner, their parameters, one swept parameter, seeds, a length) and hands it to
:func:`socialrl.run_study` in this process (sequential backend), writing below the results
folder like ``socialrl run``. It is meant for small studies — at most ``MAX_RUNS`` runs of
``MAX_STEPS`` steps; larger ones belong in a study file run from the command line.
"""

from __future__ import annotations

import inspect
import json
import re
import time
from typing import Any

import numpy as np
import streamlit as st

from socialrl import registry
from socialrl.app import ui
from socialrl.app.paths import OutsideRootError, confine
from socialrl.study import SpecError, StudyLockedError, StudySpec, parse_study, run_study

MAX_RUNS = 50
MAX_STEPS = 200_000
NONE = "(none: replications only)"


def parameters(target: str, kind: str) -> list[str]:
    """Constructor parameters of a registered model or learner (what a sweep may vary)."""
    return [row["parameter"] for row in parameter_table(target, kind)]


def parameter_table(target: str, kind: str) -> list[dict[str, str]]:
    """Each constructor parameter with its default and what it takes (from the docstring).

    The constructor is the schema a study is checked against (unknown parameters are refused
    by name, values by the constructor itself), and its docstring's ``Args:`` section says
    what each parameter allows; the page lists both.
    """
    try:
        cls = registry.resolve_model(target) if kind == "model" else registry.learner_class(target)
    except (ImportError, KeyError):
        return []
    docs = _args_section(inspect.getdoc(cls) or "") | _args_section(
        inspect.getdoc(cls.__init__) or ""
    )
    rows = []
    for name, param in inspect.signature(cls).parameters.items():
        if name in ("self", "rng") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = "" if param.default is param.empty else json.dumps(param.default, default=str)
        rows.append({"parameter": name, "default": default, "allowed": docs.get(name, "")})
    return rows


def _args_section(doc: str) -> dict[str, str]:
    """``{name: text}`` of a Google-style ``Args:`` section (continuation lines joined)."""
    out: dict[str, str] = {}
    inside, current = False, None
    for line in doc.splitlines():
        if line.strip() in ("Args:", "Arguments:", "Parameters:"):
            inside, current = True, None
            continue
        if inside and line.strip() and not line.startswith((" ", "\t")):
            break  # the next section
        match = re.match(r"^\s{2,8}(\w+)(?: \([^)]*\))?: (.*)$", line) if inside else None
        if match:
            current = match.group(1)
            out[current] = match.group(2).strip()
        elif inside and current and line.strip():
            out[current] += " " + line.strip()
    return out


def presets(model: str, learner: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model and learner parameters the form starts from (small and quick).

    They are the model plugin's: its presets, and those it gives this learner (or none).
    """
    plugin = registry.plugin_for(model)
    if plugin is None:
        return {}, {}
    return dict(plugin.presets), dict(plugin.learner_presets.get(learner, {}))


def preset_steps(model: str) -> int:
    """Steps per run the form starts from: the plugin's (enough to learn), else 1,000."""
    plugin = registry.plugin_for(model)
    return int(plugin.preset_steps) if plugin is not None and plugin.preset_steps else 1000


@st.cache_data(show_spinner=False, max_entries=32)
def roles(model: str, params_json: str) -> list[str]:
    """The roles of a model built with these parameters (the groups need them by name)."""
    build = registry.model_factory(model, json.loads(params_json))
    return list(build(np.random.default_rng(0)).roles)


def _json(label: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as err:
        raise ValueError(f"{label}: not valid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f'{label}: expected a JSON object like {{"alpha": 0.5}}')
    return value


def parse_values(text: str) -> list[Any]:
    """Comma-separated sweep values: numbers, true/false, JSON objects, or plain text."""
    values: list[Any] = []
    for part in _split(text):
        try:
            values.append(json.loads(part))
        except json.JSONDecodeError:
            values.append(part)
    return values


def _split(text: str) -> list[str]:
    """Split on commas outside braces (so ``{"kind": "linear", …}`` stays one value)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return [p for p in parts if p]


def build_spec(form: dict[str, Any]) -> StudySpec:
    """The study spec of the form's answers.

    Raises:
        ValueError: naming the field that is wrong (the page shows it); a
            :class:`~socialrl.study.SpecError` names the key.

    """
    model_params = _json("model parameters", form["model_params"])
    learner_params = _json("learner parameters", form["learner_params"])
    try:
        model_roles = roles(form["model"], json.dumps(model_params, sort_keys=True))
    except Exception as err:  # the model's own message: a bad layout, a missing parameter …
        raise ValueError(f"model {form['model']!r} cannot be built: {err}") from None
    sweep: dict[str, list[Any]] = {}
    if form["sweep"] != NONE:
        values = parse_values(form["values"])
        if not values:
            raise ValueError(f"give the values of {form['sweep']}, separated by commas")
        sweep[form["sweep"]] = values  # a study file's sweep key: model.X, population.ROLE.Y
    runs = form["seeds"] * max(1, len(next(iter(sweep.values()), [None])))
    if runs > MAX_RUNS:
        raise ValueError(f"{runs} runs: the Run page launches at most {MAX_RUNS}")
    steps = int(form["steps"])
    name = form["name"]
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", name):
        raise ValueError(
            f"study name {name!r}: use letters, digits, '_', '-' and '.' (not first); it "
            "becomes a folder below the results folder"
        )
    return parse_study(
        {
            "name": name,
            "description": f"launched from the app: {form['model']} × {form['learner']}",
            "seed": int(form["seed"]),
            "replications": int(form["seeds"]),
            "model": {"name": form["model"], "params": model_params},
            "population": [
                {"learner": form["learner"], "params": learner_params, "role": role}
                for role in model_roles
            ],
            "sweep": {"grid": sweep},
            "run": {
                "steps": steps,
                "record_every": max(1, steps // 100),
                "snapshot_every": max(1, steps // 10),
            },
        },
        source="the Run page",
    )


def launch(spec: StudySpec, replace: bool) -> None:
    """Run the study with a progress bar, then point to it."""
    root = ui.current_root()
    try:
        target = confine(root / spec.name, root)
    except OutsideRootError as err:
        st.error(str(err))
        return
    if (target / "manifest.json").exists() and not replace:
        st.error(
            f"A study named {spec.name!r} exists already: choose another name, or tick "
            "'replace an existing study of this name'."
        )
        return
    bar = st.progress(0.0, text="starting…")
    state = {"todo": 1, "done": 0}

    def on_start(todo: int, skipped: int) -> None:
        state["todo"] = max(todo, 1)

    def on_progress(run_id: str, step: int, total: int) -> None:
        share = (state["done"] + (step / total if total else 0)) / state["todo"]
        bar.progress(
            min(share, 1.0),
            text=f"run {state['done'] + 1} of {state['todo']}: step {step:,} of {total:,}",
        )

    def on_outcome(outcome: object) -> None:
        state["done"] += 1
        bar.progress(state["done"] / state["todo"], text=f"{state['done']} of {state['todo']} runs")

    started = time.perf_counter()
    try:
        report = run_study(
            spec,
            out=root,
            backend="sequential",
            resume=not replace,
            on_start=on_start,
            on_progress=on_progress,
            on_outcome=on_outcome,
        )
    except (SpecError, StudyLockedError, ValueError, TypeError, KeyError) as err:
        bar.empty()
        st.error(f"The study did not start: {err}")
        return
    bar.progress(1.0, text="done")
    message = (
        f"Study **{spec.name}**: {report.done} runs done, {report.failed} failed, in "
        f"{time.perf_counter() - started:.1f} s — written to `{report.path}`."
    )
    (st.warning if report.failed else st.success)(message)
    st.session_state["_select_study"] = spec.name
    st.page_link(ui.page("studies"), label="See it under Studies", icon=":material/folder_open:")


def render() -> None:
    """The Run page."""
    st.title("Run a small study")
    st.caption(
        f"At most {MAX_RUNS} runs of {MAX_STEPS:,} steps, in this process; results go to "
        f"`{ui.current_root()}`. Larger studies: write a study file and `socialrl run` it."
    )
    model, learner = _pick_model_and_learner()
    answers = _run_form(model, learner)
    if answers is None:
        return
    form, replace = answers
    try:
        spec = build_spec(form)
    except ValueError as err:
        st.error(str(err))
        return
    launch(spec, replace)


def _pick_model_and_learner() -> tuple[str, str]:
    """Model and learner, outside the form: the form's presets and sweep options follow them."""
    models = registry.model_names()
    learners = sorted(registry.learner_targets())
    a, b = st.columns(2)
    with a:
        first = models.index("maze") if "maze" in models else 0
        model = st.selectbox("Model", models, index=first, key="run_model")
    with b:
        learner = st.selectbox(
            "Learner", learners, index=learners.index("q_learning"), key="run_learner"
        )
    return model, learner


def _run_form(model: str, learner: str) -> tuple[dict[str, Any], bool] | None:
    """The form's answers (for :func:`build_spec`) and 'replace', once Launch is pressed.

    Returns None until then: a form sends its widgets' values together, on submit only.
    """
    model_preset, learner_preset = presets(model, learner)
    try:
        role = roles(model, json.dumps(model_preset, sort_keys=True))[0]
    except Exception:  # a plugin whose presets do not build: sweep model parameters only
        role = None
    sweepable = [f"model.{p}" for p in parameters(model, "model")]
    if role is not None:
        sweepable += [f"population.{role}.{p}" for p in parameters(learner, "learner")]
    _parameter_reference(model, learner)
    with st.form("run_form"):
        name = st.text_input("Study name", value=f"{model}_{learner}", key="run_name")
        model_params, learner_params = _parameter_fields(
            model, learner, model_preset, learner_preset
        )
        sweep, values = _sweep_fields(sweepable, role)
        seeds, steps, seed = _size_fields(preset_steps(model))
        replace = st.checkbox("Replace an existing study of this name", key="run_replace")
        submitted = st.form_submit_button("Launch", type="primary")
    if not submitted:
        return None
    form = {
        "name": name.strip(),
        "model": model,
        "learner": learner,
        "model_params": model_params,
        "learner_params": learner_params,
        "sweep": sweep,
        "values": values,
        "seeds": int(seeds),
        "steps": int(steps),
        "seed": int(seed),
    }
    return form, replace


def _parameter_fields(
    model: str, learner: str, model_preset: dict[str, Any], learner_preset: dict[str, Any]
) -> tuple[str, str]:
    """Model and learner parameters as JSON, starting from the plugin's presets.

    Their keys name the model (and learner), so a new choice starts from its own presets
    instead of keeping the previous text.
    """
    c, d = st.columns(2)
    with c:
        model_params = st.text_area(
            "Model parameters (JSON)",
            value=json.dumps(model_preset),
            key=f"run_model_params_{model}",
        )
    with d:
        learner_params = st.text_area(
            "Learner parameters (JSON)",
            value=json.dumps(learner_preset),
            key=f"run_learner_params_{model}_{learner}",
        )
    return model_params, learner_params


def _parameter_reference(model: str, learner: str) -> None:
    """What each parameter of the model and the learner takes, with its default."""
    with st.expander(f"Parameters of {model} and {learner}: defaults and allowed values"):
        for target, kind in ((model, "model"), (learner, "learner")):
            table = parameter_table(target, kind)
            if table:
                st.markdown(f"**{kind} `{target}`**")
                st.dataframe(table, hide_index=True, width="stretch")


def _sweep_fields(sweepable: list[str], role: str | None) -> tuple[str, str]:
    """The one swept parameter, named as a study file's sweep key, and its values."""
    e, f = st.columns(2)
    with e:
        epsilon = f"population.{role}.epsilon"
        default = epsilon if epsilon in sweepable else NONE
        options = [NONE, *sweepable]
        sweep = st.selectbox(
            "Parameter to sweep",
            options,
            index=options.index(default),
            key="run_sweep",
            help="Named as in a study file: model.<parameter> or population.<role>.<parameter>.",
        )
    with f:
        values = st.text_input("Its values (comma-separated)", value="0.05, 0.2", key="run_values")
    return sweep, values


def _size_fields(steps_preset: int) -> tuple[int, int, int]:
    """Seeds per setting, steps per run (capped at ``MAX_STEPS``) and the study's seed."""
    g, h, i = st.columns(3)
    with g:
        seeds = st.number_input("Seeds per setting", 1, 20, 2, key="run_seeds")
    with h:
        steps = st.number_input(
            "Steps per run",
            10,
            MAX_STEPS,
            min(steps_preset, MAX_STEPS),
            step=100,
            key="run_steps",
            help="The model's preset: enough for its preset parameters to learn.",
        )
    with i:
        seed = st.number_input("Study seed", 0, 2**31 - 1, 0, key="run_seed")
    return int(seeds), int(steps), int(seed)


if __name__ == "__main__":
    render()
