"""A German and a Spanish reader get their break prompt, their break settings and their pulse
time in their own language, with days and dates as their language writes them, beside an English
colleague, on every platform."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.breaks_sim import deliver, ticker
from tests.support.flows import Flow


async def _languages(flow: Flow) -> None:
    assert "Deutsch" in (await flow.say(1, "language de")).text
    assert "Español" in (await flow.say(2, "language es")).text


async def test_break_prompt_in_each_readers_language(flow: Flow) -> None:
    flow.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    await _languages(flow)
    await flow.say(3, "breaks")
    await ticker(flow.respite).tick(flow.respite.deps)
    flow.clock.set(datetime(2026, 11, 30, 10, 50, tzinfo=UTC))
    await ticker(flow.respite).tick(flow.respite.deps)
    await deliver(flow.respite)

    [german] = flow.prompts(1, "Zeit für eine kurze Pause")
    for label in ("Erledigt", "In 10 Min.", "Heute überspringen", "Pausen aussetzen"):
        assert label in german.text
    assert f"Einstellungen: {flow.typed('breaks status')}" in german.text
    [spanish] = flow.prompts(2, "Hora de una pausa breve")
    for label in ("Hecho", "En 10 min", "Omitir hoy", "Pausar avisos"):
        assert label in spanish.text
    assert len(flow.prompts(3)) == 1 and not flow.prompts(3, "Pausa")

    # The reply to a button comes in the presser's language too.
    assert "Gut gemacht" in (await flow.press(1, german, "break_done")).text
    paused = (await flow.press(2, spanish, "break_pause")).text
    assert "Vuelven a empezar el lunes 07 diciembre" in paused


async def test_break_settings_in_each_readers_language(flow: Flow) -> None:
    await _languages(flow)
    german = (await flow.say(1, "breaks hours 19:00-07:30 mo-do")).text
    assert "Arbeitszeiten gespeichert" in german
    assert "19:00-07:30" in german and "über Nacht" in german and "mo-do" in german
    assert "keine geplant" in german  # no break time falls in the night
    german = (await flow.say(1, "breaks hours 08:00-17:00 mo-do")).text
    assert "Nächste Erinnerung" in german and "Mo. 30 Nov., 10:50" in german
    paused = (await flow.say(1, "breaks pause until 2026-12-03")).text
    assert "Pausiert bis" in paused and "Donnerstag 03 Dezember 2026" in paused

    spanish = (await flow.say(2, "breaks")).text
    assert "Sus ajustes de pausas" in spanish
    assert "lun-vie" in spanish and "predeterminado del equipo" in spanish
    assert "Próximo aviso" in spanish and "lun 30 nov, 10:50" in spanish
    wrong = (await flow.say(2, "breaks hours 08:00-17:00 lunes-domingo-x")).text
    assert "Ese comando de pausas no funcionó" in wrong and "No se ha cambiado nada." in wrong
    assert "lun-vie" in (await flow.say(2, "breaks hours 08:00-17:00 lun-vie")).text

    # Argument words in the reader's language: the router reads the first back to English, the
    # parser reads "off" further along.
    assert "Pausenerinnerungen pausiert" in (await flow.say(1, "breaks pausieren 1w")).text
    assert "Calendario desconectado" in (await flow.say(2, "breaks calendario desactivar")).text

    assert "Your break settings" in (await flow.say(3, "breaks")).text


async def test_pulse_time_in_each_readers_language(flow: Flow) -> None:
    await _languages(flow)
    german = (await flow.say(1, "pulse at di 09:00")).text
    assert "Ihre Check-in-Einladung kommt am Dienstag 09:00" in german
    assert "Nächste Einladung: Dienstag 01 Dezember, 09:00" in german
    spanish = (await flow.say(2, "pulse at martes 14:30")).text
    assert "Su invitación al check-in llega el martes 14:30" in spanish
    assert "Próxima invitación: martes 01 diciembre, 14:30" in spanish
    refused = (await flow.say(2, "pulse at jueves")).text
    assert "Esa no es una hora de pulse" in refused and "No se ha cambiado nada." in refused
    cleared = (await flow.say(2, "pulse at desactivar")).text
    assert "Su invitación al check-in llega cuando se abre la ronda de su equipo" in cleared
    english = (await flow.say(3, "pulse at thu 08:00")).text
    assert "Your check-in invitation comes on Thursday 08:00" in english
