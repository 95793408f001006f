# الإشعارات: عنوان كل نوع (صندوق الوارد والبريد يقولان الشيء نفسه) وكلمات الرسالة حوله.
# تقرؤها العقدة أيضًا (node/src/notify/texts.rs).
notification-application_stage = انتقل طلبك إلى مرحلة جديدة
notification-question_answered = تمت الإجابة على سؤالك في مكتب المساعدة
notification-event_seat = أصبح لك مقعد في فعالية
notification-buddy_confirmed = تم تأكيد ثنائي الرفقة الخاص بك
mail-greeting = مرحبًا،
mail-open = افتح الصفحة في Passage:
mail-open-button = افتح في Passage
mail-why = تصلك هذه الرسالة لأنك اخترت أن تعرف بهذا عبر البريد الإلكتروني في Passage.
mail-unsubscribe = أوقف الرسائل من هذا النوع:
mail-unsubscribe-button = أوقف الرسائل من هذا النوع
