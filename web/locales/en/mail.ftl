# Notifications: the title of each kind (the inbox and the mail say the same),
# and the words of a mail around it. The node reads these too (node/src/notify/texts.rs).
notification-application_stage = Your application has moved to a new stage
notification-question_answered = Your helpdesk question has been answered
notification-event_seat = A seat at an event is now yours
notification-buddy_confirmed = Your buddy pair is confirmed
mail-greeting = Hello,
mail-open = Open the page in Passage:
mail-open-button = Open in Passage
mail-why = You get this mail because you chose to hear of this by email in Passage.
mail-unsubscribe = Stop mails like this:
mail-unsubscribe-button = Stop mails like this
