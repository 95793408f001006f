# Meldingen: de titel van elke soort (inbox en mail zeggen hetzelfde) en de woorden
# van een mail eromheen. De node leest deze ook (node/src/notify/texts.rs).
notification-application_stage = Je sollicitatie is naar een nieuwe fase gegaan
notification-question_answered = Je vraag aan de helpdesk is beantwoord
notification-event_seat = Er is een plek bij een evenement voor je vrijgekomen
notification-buddy_confirmed = Je buddykoppel is bevestigd
notification-question_routed = Er wacht een helpdeskvraag op jouw antwoord
notification-review_waiting = Er wachten nieuwe kansen op jouw beoordeling
notification-event_tomorrow = Een evenement waarvoor je je hebt aangemeld is morgen
notification-session_tomorrow = Morgen is er een bijeenkomst van je groep
notification-move_handed_over = Je verhuizing is geaccepteerd: je thuisregio heeft je overgedragen
notification-move_arrived = Je bent aangekomen in je nieuwe thuisregio
notification-opportunity_approved = Je kans is goedgekeurd en gepubliceerd
notification-opportunity_sent_back = Je kans is teruggestuurd met de opmerkingen van de beoordelaars
notification-opportunity_rejected = Je kans is door de beoordeling van de gemeenschap afgewezen
notification-digest = Elke soort melding, en de overzichten die ze bundelen
notification-digest-daily = Je dagelijkse overzicht van Passage
notification-digest-weekly = Je wekelijkse overzicht van Passage
mail-greeting = Hallo,
mail-open = Open de pagina in Passage:
mail-open-button = Openen in Passage
mail-why = Je krijgt deze mail omdat je hebt gekozen om dit per e-mail te horen in Passage.
mail-unsubscribe = Geen mails meer zoals deze:
mail-unsubscribe-button = Geen mails meer zoals deze
mail-digest-intro = Dit is er voor jou gebeurd in Passage:
mail-digest-inbox = Alles staat in je inbox:
mail-digest-inbox-button = Open je inbox
