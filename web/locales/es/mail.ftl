# Notificaciones: el título de cada tipo (la bandeja y el correo dicen lo mismo) y
# las palabras del correo alrededor. El nodo también las lee (node/src/notify/texts.rs).
notification-application_stage = Tu solicitud ha pasado a una nueva etapa
notification-question_answered = Tu pregunta a la ayuda ha sido respondida
notification-event_seat = Se ha liberado una plaza para ti en un evento
notification-buddy_confirmed = Tu pareja de acompañamiento está confirmada
notification-question_routed = Una pregunta de la ayuda espera tu respuesta
notification-review_waiting = Nuevas oportunidades esperan tu revisión
notification-event_tomorrow = Un evento en el que te inscribiste es mañana
notification-session_tomorrow = Mañana hay una sesión de tu grupo
notification-move_handed_over = Tu traslado fue aceptado: tu región de origen te ha transferido
notification-move_arrived = Has llegado a tu nueva región de origen
notification-opportunity_approved = Tu oportunidad fue aprobada y publicada
notification-opportunity_sent_back = Tu oportunidad fue devuelta con los comentarios de quienes la revisaron
notification-opportunity_rejected = La revisión de la comunidad no aceptó tu oportunidad
notification-digest = Todo tipo de notificación, y los resúmenes que las reúnen
notification-digest-daily = Tu resumen diario de Passage
notification-digest-weekly = Tu resumen semanal de Passage
mail-greeting = Hola:
mail-open = Abre la página en Passage:
mail-open-button = Abrir en Passage
mail-why = Recibes este correo porque elegiste enterarte de esto por correo electrónico en Passage.
mail-unsubscribe = Dejar de recibir correos como este:
mail-unsubscribe-button = Dejar de recibir correos como este
mail-digest-intro = Esto es lo que ha pasado para ti en Passage:
mail-digest-inbox = Todo está en tu bandeja de entrada:
mail-digest-inbox-button = Abrir tu bandeja de entrada
