# الإشعارات: عنوان كل نوع (صندوق الوارد والبريد يقولان الشيء نفسه) وكلمات الرسالة حوله.
# تقرؤها العقدة أيضًا (node/src/notify/texts.rs).
notification-application_stage = انتقل طلبك إلى مرحلة جديدة
notification-question_answered = تمت الإجابة على سؤالك في مكتب المساعدة
notification-event_seat = أصبح لك مقعد في فعالية
notification-buddy_confirmed = تم تأكيد ثنائي الرفقة الخاص بك
notification-question_routed = سؤال في مكتب المساعدة ينتظر إجابتك
notification-review_waiting = فرص جديدة تنتظر مراجعتك
notification-event_tomorrow = الفعالية التي سجلت فيها غدًا
notification-session_tomorrow = جلسة مجموعتك غدًا
notification-move_handed_over = تم قبول انتقالك: سلّمتك منطقتك الأصلية
notification-move_arrived = لقد وصلت إلى منطقتك الجديدة
notification-opportunity_approved = تمت الموافقة على فرصتك ونشرها
notification-opportunity_sent_back = أُعيدت فرصتك مع ملاحظات المراجعين
notification-opportunity_rejected = لم تقبل مراجعة المجتمع فرصتك
notification-digest = كل أنواع الإشعارات، والملخصات التي تجمعها
notification-digest-daily = ملخصك اليومي من Passage
notification-digest-weekly = ملخصك الأسبوعي من Passage
mail-greeting = مرحبًا،
mail-open = افتح الصفحة في Passage:
mail-open-button = افتح في Passage
mail-why = تصلك هذه الرسالة لأنك اخترت أن تعرف بهذا عبر البريد الإلكتروني في Passage.
mail-unsubscribe = أوقف الرسائل من هذا النوع:
mail-unsubscribe-button = أوقف الرسائل من هذا النوع
mail-digest-intro = إليك ما حدث لك في Passage:
mail-digest-inbox = كل شيء في صندوق الوارد الخاص بك:
mail-digest-inbox-button = افتح صندوق الوارد
