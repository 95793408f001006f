# Сповіщення: назва кожного виду (скринька і лист кажуть те саме) і слова листа навколо.
# Вузол теж їх читає (node/src/notify/texts.rs).
notification-application_stage = Ваша заявка перейшла на новий етап
notification-question_answered = На ваше запитання до служби допомоги відповіли
notification-event_seat = Для вас звільнилося місце на заході
notification-buddy_confirmed = Вашу пару з наставником підтверджено
notification-question_routed = Запитання до служби допомоги чекає на вашу відповідь
notification-review_waiting = Нові можливості чекають на вашу перевірку
notification-event_tomorrow = Захід, на який ви зареєструвалися, відбудеться завтра
notification-session_tomorrow = Завтра заняття вашої групи
notification-move_handed_over = Ваш переїзд прийнято: ваш домашній регіон передав вас
notification-move_arrived = Ви прибули до свого нового домашнього регіону
notification-opportunity_approved = Вашу можливість схвалено й опубліковано
notification-opportunity_sent_back = Вашу можливість повернуто з коментарями рецензентів
notification-opportunity_rejected = Спільнота під час перевірки не прийняла вашу можливість
notification-digest = Усі види сповіщень і підсумки, що їх збирають
notification-digest-daily = Ваш щоденний підсумок від Passage
notification-digest-weekly = Ваш щотижневий підсумок від Passage
mail-greeting = Вітаємо,
mail-open = Відкрийте сторінку в Passage:
mail-open-button = Відкрити в Passage
mail-why = Ви отримали цей лист, бо обрали отримувати такі повідомлення електронною поштою в Passage.
mail-unsubscribe = Більше не надсилати такі листи:
mail-unsubscribe-button = Більше не надсилати такі листи
mail-digest-intro = Ось що сталося для вас у Passage:
mail-digest-inbox = Усе є у вашій скриньці:
mail-digest-inbox-button = Відкрити скриньку
