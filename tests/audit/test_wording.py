"""The audit log's plain Danish (``audit.wording``): sentences, not stored keys."""

from coordinator.audit import wording


def test_an_event_is_a_sentence_with_the_things_name():
    assert wording.sentence("møde", "read", "Første statusmøde") == \
        "Mødet »Første statusmøde« blev åbnet"
    assert wording.sentence("familie", "update") == "Sagen blev ændret"
    assert wording.sentence("session", "login") == "Loggede ind"
    assert wording.sentence("randers-trappen, succeskriterium", "read") == \
        "Randers-trappens succeskriterium blev åbnet"


def test_an_unknown_word_or_action_is_still_danish_without_codes():
    assert wording.sentence("ny ting", "read") == "Ny ting blev åbnet"
    assert wording.sentence("møde", "frobnicate") == "Mødet blev behandlet"


def test_who_acted_without_an_account_is_said_in_words():
    assert wording.actor("feed:12") == "Et kalenderabonnement"
    assert wording.actor("svarmail:7") == "Et svar pr. mail"
    assert wording.actor("påmindelse") == "Påmindelserne (automatisk)"
    assert wording.actor("sara") == "sara"
    assert wording.actor("") == "Systemet"
