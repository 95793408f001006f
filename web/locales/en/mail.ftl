# Notifications: the title of each kind (the inbox and the mail say the same),
# and the words of a mail around it. The node reads these too (node/src/notify/texts.rs).
notification-application_stage = Your application has moved to a new stage
notification-question_answered = Your helpdesk question has been answered
notification-event_seat = A seat at an event is now yours
notification-buddy_confirmed = Your buddy pair is confirmed
notification-question_routed = A helpdesk question is waiting for your answer
notification-review_waiting = New opportunities are waiting for your review
notification-event_tomorrow = An event you registered for is tomorrow
notification-session_tomorrow = A session of your cohort is tomorrow
notification-move_handed_over = Your move was accepted: your home region has handed you over
notification-move_arrived = You have arrived in your new home region
notification-opportunity_approved = Your opportunity was approved and published
notification-opportunity_sent_back = Your opportunity was sent back with the reviewers' comments
notification-opportunity_rejected = Your opportunity was not accepted by community review
notification-digest = Every kind of notification, and the summaries that gather them
notification-digest-daily = Your daily summary from Passage
notification-digest-weekly = Your weekly summary from Passage
mail-greeting = Hello,
mail-open = Open the page in Passage:
mail-open-button = Open in Passage
mail-why = You get this mail because you chose to hear of this by email in Passage.
mail-unsubscribe = Stop mails like this:
mail-unsubscribe-button = Stop mails like this
mail-digest-intro = Here is what happened for you in Passage:
mail-digest-inbox = Everything is in your inbox:
mail-digest-inbox-button = Open your inbox
