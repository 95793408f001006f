# Notificaciones: el título de cada tipo (la bandeja y el correo dicen lo mismo) y
# las palabras del correo alrededor. El nodo también las lee (node/src/notify/texts.rs).
notification-application_stage = Tu solicitud ha pasado a una nueva etapa
notification-question_answered = Tu pregunta a la ayuda ha sido respondida
notification-event_seat = Se ha liberado una plaza para ti en un evento
notification-buddy_confirmed = Tu pareja de acompañamiento está confirmada
mail-greeting = Hola:
mail-open = Abre la página en Passage:
mail-open-button = Abrir en Passage
mail-why = Recibes este correo porque elegiste enterarte de esto por correo electrónico en Passage.
mail-unsubscribe = Dejar de recibir correos como este:
mail-unsubscribe-button = Dejar de recibir correos como este
