"""The accord's first text in the hub's other languages, as every hub starts with it.

Translations of :mod:`accord.registry.accord_text`, paragraph for paragraph, made for the
hub: a reader sees one marked as a translation, never signed, the signed English text of the
same version named and shown below it (``registry/templates/accord.html``). A hub stores
them with its first version (``services._seed``); a hub seeded before they shipped shows them
for that version as long as its text is the first text, unchanged, and no operator added
its own (``translations.of``).
"""

from __future__ import annotations

from accord.registry.accord_text import compose

_SPANISH = (
    "Acuerdo Tecnológico de Ciberseguridad",
    (
        "Un mundo en línea seguro interesa a todos. Nosotras, las organizaciones que crean y "
        "operan la tecnología de la que dependen las personas, nos comprometemos a defender "
        "los beneficios que esta tecnología aporta a la sociedad, a actuar con "
        "responsabilidad, a proteger y empoderar a nuestros usuarios y clientes, y así a "
        "hacer el ciberespacio más seguro, más estable y más resiliente. Con ese fin "
        "adoptamos este acuerdo y sus cuatro principios."
    ),
    (
        (
            "1. Defensa más fuerte: protegeremos a todos nuestros usuarios y clientes en "
            "todas partes.",
            (
                "Trabajaremos para proteger de los ciberataques a cada usuario y cliente, sea "
                "una persona, una organización o un gobierno, cualesquiera que sean su "
                "destreza técnica, su cultura o su ubicación, y cualquiera que sea el motivo "
                "del atacante, delictivo o geopolítico.",
                "Diseñaremos, construiremos y entregaremos productos y servicios que pongan "
                "en primer lugar la seguridad, la privacidad, la integridad y la fiabilidad, "
                "y así harán que las vulnerabilidades sean menos probables, menos frecuentes, "
                "más difíciles de explotar y menos graves.",
            ),
        ),
        (
            "2. Ninguna ofensiva: nos opondremos a los ciberataques contra ciudadanos y "
            "empresas inocentes, vengan de donde vengan.",
            (
                "Protegeremos nuestros productos y servicios contra la manipulación y la "
                "explotación mientras se desarrollan, diseñan, distribuyen y usan.",
                "No ayudaremos a ningún gobierno a lanzar ciberataques contra ciudadanos y "
                "empresas inocentes, dondequiera que estén.",
            ),
        ),
        (
            "3. Desarrollo de capacidades: ayudaremos a usuarios, clientes y desarrolladores "
            "a reforzar su protección.",
            (
                "Daremos a nuestros usuarios, a nuestros clientes y a la comunidad más amplia "
                "de desarrolladores la información y las herramientas que necesitan para "
                "comprender las amenazas actuales y futuras y protegerse de ellas.",
                "Apoyaremos a la sociedad civil, a los gobiernos y a las organizaciones "
                "internacionales en su trabajo por la seguridad del ciberespacio y por el "
                "desarrollo de capacidades de ciberseguridad, tanto en economías "
                "desarrolladas como emergentes.",
            ),
        ),
        (
            "4. Acción colectiva: colaboraremos entre nosotros y con grupos afines para "
            "mejorar la ciberseguridad.",
            (
                "Trabajaremos entre nosotros y estableceremos alianzas formales e informales "
                "con la industria, la sociedad civil y los investigadores de seguridad, en "
                "tecnología propietaria y de código abierto, para mejorar la colaboración "
                "técnica, la divulgación coordinada de vulnerabilidades y el intercambio de "
                "información sobre amenazas, y para reducir el código malicioso introducido "
                "en el ciberespacio.",
                "Fomentaremos el intercambio de información en todo el mundo y los esfuerzos "
                "civiles para identificar, prevenir, detectar, responder y recuperarse de los "
                "ciberataques, y para que el ecosistema tecnológico en su conjunto pueda "
                "responder con flexibilidad.",
            ),
        ),
    ),
    (
        "Informaremos públicamente de los avances que logremos hacia estos objetivos, y el "
        "acuerdo sigue abierto a toda organización que los comparta y acepte cumplirlos."
    ),
)

_JAPANESE = (
    "サイバーセキュリティ・テック・アコード",
    (
        "安全なオンライン世界は、すべての人の利益です。人々が頼りにする技術を作り、運用する"
        "組織である私たちは、この技術が社会にもたらす恩恵を守り、責任を持って行動し、"
        "利用者と顧客を守り力づけ、それによってサイバー空間をより安全で、より安定し、"
        "より回復力のあるものにすることを約束します。そのために、私たちはこのアコードと"
        "その四つの原則を採択します。"
    ),
    (
        (
            "1. より強固な防御: 私たちは、あらゆる場所のすべての利用者と顧客を守ります。",
            (
                "私たちは、個人、組織、政府のいずれであっても、技術的な知識、文化、所在地に"
                "かかわらず、また攻撃者の動機が犯罪であれ地政学的なものであれ、すべての"
                "利用者と顧客をサイバー攻撃から守るために取り組みます。",
                "私たちは、セキュリティ、プライバシー、完全性、信頼性を最優先する製品と"
                "サービスを設計、構築、提供し、脆弱性がより生じにくく、より少なく、より悪用"
                "されにくく、より深刻でないものとなるようにします。",
            ),
        ),
        (
            "2. 攻撃への不加担: 私たちは、どこから来るものであれ、罪のない市民と企業への"
            "サイバー攻撃に反対します。",
            (
                "私たちは、自らの製品とサービスを、開発、設計、配布、使用のあらゆる段階で"
                "改ざんと悪用から守ります。",
                "私たちは、どこにいる罪のない市民と企業に対しても、いかなる政府がサイバー"
                "攻撃を行うことにも手を貸しません。",
            ),
        ),
        (
            "3. 能力の構築: 私たちは、利用者、顧客、開発者が自らの防御を強化するのを支援します。",
            (
                "私たちは、利用者、顧客、そして広く開発者のコミュニティに、現在と将来の脅威を"
                "理解し、それから身を守るために必要な情報とツールを提供します。",
                "私たちは、先進国と新興国のいずれにおいても、サイバー空間の安全を高め、"
                "サイバーセキュリティの能力を築こうとする市民社会、政府、国際機関の取り組みを"
                "支援します。",
            ),
        ),
        (
            "4. 協調行動: 私たちは、互いに、また志を同じくする団体と協力して、サイバー"
            "セキュリティを強化します。",
            (
                "私たちは、互いに協力し、産業界、市民社会、セキュリティ研究者との公式・非公式"
                "のパートナーシップを、独自技術とオープンソース技術の双方にわたって築き、"
                "技術的な協力、脆弱性の協調的な開示、脅威情報の共有を改善し、サイバー空間に"
                "持ち込まれる悪意あるコードを減らします。",
                "私たちは、世界中での情報共有と、サイバー攻撃を特定し、防ぎ、検知し、対応し、"
                "そこから回復するための市民の取り組みを促し、技術のエコシステム全体が柔軟に"
                "対応できるようにします。",
            ),
        ),
    ),
    (
        "私たちは、これらの目標に向けた進捗を公に報告します。このアコードは、これらの"
        "目標を共有し、守ることに同意するすべての組織に開かれています。"
    ),
)

# Language: (title, text), the text laid out as the English one (``accord_text.compose``).
FIRST_TRANSLATIONS: dict[str, tuple[str, str]] = {
    language: (title, compose(preamble, principles, closing))
    for language, (title, preamble, principles, closing) in (
        ("es", _SPANISH),
        ("ja", _JAPANESE),
    )
}
