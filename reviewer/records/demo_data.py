"""The fictional records ``sori demo`` adds (reviewer/records/demo.py), as tables: a chain of command from
two ministries down to county units, the officials who held its posts, places of detention, incidents with
their acts, how the demo accounts are cited, and a fictional sanctions list.

Everything here is invented and marked so: every description starts with :data:`DEMO_MARK`, and no person
is a real official. The state bodies and places are real names, because reviewers work with them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How every demo description begins, in both languages of the pages.
DEMO_MARK = "[가상 시연 자료 · Fictional demo data]"

# Organizations: key, parent key, Korean name, English name, kind, province, county, description.
ORGANIZATIONS: tuple[tuple[str, str | None, str, str, str, str | None, str | None, str], ...] = (
    ("mss", None, "국가보위성", "Ministry of State Security", "ministry", None, None,
     "정치범 수사·예심과 국경 통제를 맡는 기관. / Political investigation, preliminary examination and "
     "border control."),
    ("mss-nh", "mss", "함경북도 보위국", "North Hamgyong Provincial State Security Bureau", "bureau",
     "north-hamgyong", None, "국경 지역의 도 보위국. / The provincial bureau of a border province."),
    ("mss-hoeryong", "mss-nh", "회령시 보위부", "Hoeryong City State Security Department", "bureau",
     "north-hamgyong", "north-hamgyong/hoeryong", "시 보위부. / A city department."),
    ("mss-onsong", "mss-nh", "온성군 보위부", "Onsong County State Security Department", "bureau",
     "north-hamgyong", "north-hamgyong/onsong",
     "강제북송된 사람들을 예심하는 군 보위부. / A county department that examines people returned from "
     "China."),
    ("mss-onsong-exam", "mss-onsong", "온성군 보위부 예심과", "Onsong County MSS Preliminary Examination "
     "Section", "unit", "north-hamgyong", "north-hamgyong/onsong", "예심원들의 과. / The interrogators' "
     "section."),
    ("mss-onsong-guard", "mss-onsong", "온성군 보위부 구류장 계호대",
     "Onsong County MSS Detention Guard Unit", "unit", "north-hamgyong", "north-hamgyong/onsong",
     "구류장 계호원들. / The detention centre's guards."),
    ("mss-sh", "mss", "함경남도 보위국", "South Hamgyong Provincial State Security Bureau", "bureau",
     "south-hamgyong", None, "도 보위국. / A provincial bureau."),
    ("mss-ryanggang", "mss", "량강도 보위국", "Ryanggang Provincial State Security Bureau", "bureau",
     "ryanggang", None, "국경 지역의 도 보위국. / The provincial bureau of a border province."),
    ("mps", None, "사회안전성", "Ministry of Social Security", "ministry", None, None,
     "경찰과 교화소, 노동단련대, 집결소를 맡는 기관. / Police, re-education camps, labour training camps "
     "and holding centres."),
    ("mps-corrections", "mps", "사회안전성 교화국", "Ministry of Social Security Correctional Bureau",
     "bureau", None, None, "교화소를 운영하는 국. / Runs the re-education camps."),
    ("mps-nh", "mps", "함경북도 안전국", "North Hamgyong Provincial Social Security Bureau", "bureau",
     "north-hamgyong", None, "도 안전국. / A provincial bureau."),
    ("mps-hoeryong", "mps-nh", "회령시 안전부", "Hoeryong City Social Security Department", "bureau",
     "north-hamgyong", "north-hamgyong/hoeryong", "시 안전부. / A city department."),
    ("mps-hoeryong-camp", "mps-hoeryong", "회령시 안전부 노동단련대 계호대", "Hoeryong MPS Labour Training "
     "Camp Guard Unit", "unit", "north-hamgyong", "north-hamgyong/hoeryong",
     "노동단련대 계호원들. / The labour training camp's guards."),
    ("mps-sh", "mps", "함경남도 안전국", "South Hamgyong Provincial Social Security Bureau", "bureau",
     "south-hamgyong", None, "도 안전국. / A provincial bureau."),
    ("mps-hamhung", "mps-sh", "함흥시 안전부", "Hamhung City Social Security Department", "bureau",
     "south-hamgyong", "south-hamgyong/hamhung", "집결소를 운영하는 시 안전부. / Runs the holding centre."),
)  # fmt: skip

# Positions: key, organization key, Korean title, English title, head of the organization.
POSITIONS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("mss-minister", "mss", "국가보위상", "Minister of State Security", True),
    ("mss-nh-chief", "mss-nh", "함경북도 보위국장", "Director, North Hamgyong State Security Bureau", True),
    (
        "mss-hoeryong-chief",
        "mss-hoeryong",
        "회령시 보위부장",
        "Head, Hoeryong State Security Department",
        True,
    ),
    ("mss-onsong-chief", "mss-onsong", "온성군 보위부장", "Head, Onsong State Security Department", True),
    ("mss-onsong-examiner", "mss-onsong-exam", "예심원", "Interrogator (preliminary examiner)", False),
    ("mss-onsong-guard", "mss-onsong-guard", "계호원", "Guard", False),
    ("mps-minister", "mps", "사회안전상", "Minister of Social Security", True),
    ("mps-hoeryong-guard", "mps-hoeryong-camp", "계호원", "Guard", False),
    ("mps-hamhung-guard", "mps-hamhung", "집결소 계호원", "Holding centre guard", False),
)

# Persons: key, gender, birth date, birth place, names (name, style, kind, quality, language), description,
# exculpatory information. Every name is invented.
Names = tuple[tuple[str, str, str, str | None, str], ...]
PERSONS: tuple[tuple[str, str, str | None, str | None, Names, str, str | None], ...] = (
    ("do", "male", "1952", None,
     (("도경삼", "hangul", "primary", None, "ko"), ("To Kyong Sam", "dprk", "primary", None, "en"),
      ("Do Gyeong-sam", "rr", "primary", None, "en"), ("도삼", "hangul", "alias", "weak", "ko")),
     "2017년까지 국가보위상. / Minister of State Security until 2017.", None),
    ("yom", "male", "1958-05", "평안남도",
     (("염길후", "hangul", "primary", None, "ko"), ("Yom Kil Hu", "dprk", "primary", None, "en"),
      ("Yeom Gil-hu", "rr", "primary", None, "en"), ("염길호", "hangul", "alias", "strong", "ko")),
     "2018년부터 국가보위상. / Minister of State Security from 2018.", None),
    ("thak", "male", "1963", "함경북도 청진시",
     (("탁영범", "hangul", "primary", None, "ko"), ("Thak Yong Bom", "dprk", "primary", None, "en"),
      ("Tak Yeong-beom", "rr", "primary", None, "en"), ("탁 국장", "hangul", "alias", "weak", "ko")),
     "함경북도 보위국장. / Director of the North Hamgyong bureau.", None),
    ("ra", "male", "1966", None,
     (("라춘식", "hangul", "primary", None, "ko"), ("Ra Chun Sik", "dprk", "primary", None, "en"),
      ("Na Chun-sik", "rr", "primary", None, "en"), ("나춘식", "hangul", "alias", "strong", "ko")),
     "회령시 보위부장. 남한식으로는 '나춘식'으로 적힌다. / Head of the Hoeryong department; 'Na' in South "
     "Korean spelling.", None),
    ("ri", "male", "1970", None,
     (("리평갑", "hangul", "primary", None, "ko"), ("Ri Phyong Gap", "dprk", "primary", None, "en"),
      ("Lee Pyeong-gap", "rr", "primary", None, "en"), ("리 부장", "hangul", "alias", "weak", "ko")),
     "온성군 보위부장. / Head of the Onsong department.", None),
    ("kim", "male", "1981", None,
     (("김상출", "hangul", "primary", None, "ko"), ("Kim Sang Chul", "dprk", "primary", None, "en"),
      ("Kim Sang-chul", "rr", "primary", None, "en"), ("독사", "hangul", "alias", "weak", "ko")),
     "온성군 보위부 예심원. 수감자들은 '독사'라고 불렀다. / Interrogator at Onsong; detainees called him "
     "'the viper'.", None),
    ("sok", "male", "1988", None,
     (("석만길", "hangul", "primary", None, "ko"), ("Sok Man Gil", "dprk", "primary", None, "en"),
      ("Seok Man-gil", "rr", "primary", None, "en"), ("석 계호원", "hangul", "alias", "weak", "ko")),
     "온성군 보위부 구류장 계호원. / Guard at the Onsong detention centre.", None),
    ("ryu", "male", "1979", None,
     (("류성국", "hangul", "primary", None, "ko"), ("Ryu Song Guk", "dprk", "primary", None, "en"),
      ("Yu Seong-guk", "rr", "primary", None, "en"), ("뚱보", "hangul", "alias", "weak", "ko")),
     "회령 노동단련대 계호원. / Guard at the Hoeryong labour training camp.",
     "한 수감자에게 약을 몰래 건넸다는 진술이 있다. / One account says he secretly gave a detainee "
     "medicine."),
    ("pang", "female", "1985", None,
     (("방금순", "hangul", "primary", None, "ko"), ("Pang Kum Sun", "dprk", "primary", None, "en"),
      ("Bang Geum-sun", "rr", "primary", None, "en"), ("방 반장", "hangul", "alias", "weak", "ko")),
     "함흥 집결소 계호원. / Guard at the Hamhung holding centre.", None),
    ("ju", "male", "1956", None,
     (("주형도", "hangul", "primary", None, "ko"), ("Ju Hyong Do", "dprk", "primary", None, "en"),
      ("Joo Hyeong-do", "rr", "primary", None, "en"), ("주형두", "hangul", "alias", "strong", "ko")),
     "사회안전상. / Minister of Social Security.", None),
)  # fmt: skip

# Identifiers: person key, kind, value, country. Plainly not real numbers.
IDENTIFIERS: tuple[tuple[str, str, str, str], ...] = (
    ("yom", "passport", "DEMO-0000-1958", "kp"),
    ("kim", "national_id", "DEMO-0000-1981", "kp"),
)

# Occupancies: person key, position key, start, end (partial dates; no end: still held or not known).
# The two ministers of State Security succeed each other: one until 2017, the next from 2018.
OCCUPANCIES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("do", "mss-minister", "2012-04", "2017"),
    ("yom", "mss-minister", "2018", None),
    ("thak", "mss-nh-chief", "2014", None),
    ("ra", "mss-hoeryong-chief", "2013", "2019-06"),
    ("ri", "mss-onsong-chief", "2016", "2021"),
    ("kim", "mss-onsong-examiner", "2017-03", None),
    ("sok", "mss-onsong-guard", "2018", None),
    ("ryu", "mps-hoeryong-guard", "2015", "2019"),
    ("pang", "mps-hamhung-guard", "2018-09", None),
    ("ju", "mps-minister", "2016", None),
)

# Facilities: key, kind, agency, organization key, province, county, latitude, longitude, names (name,
# style), description. Coordinates are rough, as a town's centre.
FACILITIES: tuple[
    tuple[str, str, str, str, str, str, float | None, float | None, tuple[tuple[str, str], ...], str], ...
] = (
    ("onsong-kuryujang", "kuryujang", "mss", "mss-onsong", "north-hamgyong", "north-hamgyong/onsong",
     42.957, 129.993,
     (("온성군 보위부 구류장", "hangul"), ("Onsong Kun Powibu Kuryujang", "dprk"),
      ("Onseong-gun Bowibu Guryujang", "rr")),
     "강제북송된 사람들의 예심 장소. / Where people returned from China are examined."),
    ("hoeryong-danryondae", "rodong_danryondae", "mps", "mps-hoeryong", "north-hamgyong",
     "north-hamgyong/hoeryong", 42.443, 129.751,
     (("회령 노동단련대", "hangul"), ("Hoeryong Rodong Tallyondae", "dprk"),
      ("Hoeryeong Nodong Danryeondae", "rr")),
     "단기 강제노동 시설. / A short-term forced labour camp."),
    ("hamhung-jipkyulso", "jipkyulso", "mps", "mps-hamhung", "south-hamgyong", "south-hamgyong/hamhung",
     None, None,
     (("함흥 집결소", "hangul"), ("Hamhung Jipkyulso", "dprk"), ("Hamheung Jipgyeolso", "rr")),
     "이송을 기다리는 사람들을 가두는 곳. / Holds people awaiting transfer."),
    ("chongori-kyohwaso", "kyohwaso", "mps", "mps-corrections", "north-hamgyong", "north-hamgyong/hoeryong",
     None, None,
     (("전거리 교화소", "hangul"), ("Jongori Kyohwaso", "dprk"), ("Jeongeori Gyohwaso", "rr")),
     "장기 수감자의 교화소. / A re-education camp for long sentences."),
)  # fmt: skip


#: Who submits the demo's dossiers (the export settings), so that a dossier built from the demo says who
#: prepared it; an organization that does not exist.
SUBMITTER = {
    "organization": f"{DEMO_MARK} 소리 시연 인권단체 / Sori Demo Human Rights Group",
    "contact_name": "시연 담당자 / Demo Desk",
    "email": "desk@demo.invalid",
    "address": "가상 주소 / No real address",
}


#: A sanctions list in FollowTheMoney JSON lines, as OpenSanctions publishes them, imported as
#: ``sori sanctions import`` would, so that the demo minister's and ministry's pages show a possible match
#: for a reviewer to confirm. No such list or sanction exists.
SANCTIONS_LIST = (
    {
        "id": "sori-demo-yom-kil-hu",
        "schema": "Person",
        "caption": "YOM Kil Hu",
        "properties": {"name": ["YOM Kil Hu"], "alias": ["Yeom Gil-hu", "염길후"], "birthDate": ["1958"]},
    },
    {
        "id": "sori-demo-mss",
        "schema": "PublicBody",
        "caption": "Ministry of State Security",
        "properties": {"name": ["Ministry of State Security"], "alias": ["국가보위성"]},
    },
    *(
        {
            "id": f"sori-demo-sanction-{target}",
            "schema": "Sanction",
            "properties": {
                "entity": [f"sori-demo-{target}"],
                "authority": [f"{DEMO_MARK} Demo Sanctions Authority"],
                "program": ["Fictional human rights sanctions regime"],
                "startDate": ["2021-03-22"],
            },
        }
        for target in ("yom-kil-hu", "mss")
    ),
)


@dataclass(frozen=True)
class Act:
    key: str
    violation: str
    start: str | None
    end: str | None
    facility: str | None
    victims: str | None
    victim_count: int | None
    description: str
    #: (person key, degree, confidence)
    involvements: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Incident:
    key: str
    title: str
    summary: str
    acts: tuple[Act, ...]


INCIDENTS = (
    Incident(
        "onsong-2019",
        "온성군 보위부 구류장 예심 중 구타 (2019년 겨울)",
        "강제북송된 뒤 한 달 동안의 예심. / A month of preliminary examination after forced return.",
        (
            Act("onsong-torture", "torture_interrogation", "2019-12", "2020-01", "onsong-kuryujang", "V-1",
                 None, "예심원이 매일 밤 때렸다. / The interrogator beat the victim every night.",
                 (("kim", "carried_out", "high"), ("ri", "superior_failed", "medium"))),
            Act("onsong-kneeling", "stress_positions", "2019-12", "2020-01", "onsong-kuryujang", "V-1",
                 None, "몇 시간씩 꿇어앉아 있게 했다. / Made to kneel still for hours.",
                 (("kim", "ordered", "medium"), ("sok", "carried_out", "medium"))),
            Act("onsong-return", "repatriation_persecution", "2019-12", None, "onsong-kuryujang", "V-1",
                 None, "중국에서 강제북송된 것을 이유로 구금. / Held for having been returned from China.",
                 (("ri", "ordered", "low"),)),
        ),
    ),
    Incident(
        "hoeryong-2017",
        "회령 노동단련대 의료 거부와 구금 중 사망 (2017년)",
        "병든 수감자가 치료를 받지 못하고 숨졌다. / A sick detainee was denied care and died.",
        (
            Act("hoeryong-care", "medical_denial", "2017-03", None, "hoeryong-danryondae", "V-2", None,
                 "계호원들이 병든 여성의 치료를 거부했다. / Guards refused a sick woman any care.",
                 (("ryu", "carried_out", "high"),)),
            Act("hoeryong-death", "death_in_custody", "2017-03", "2017-04", "hoeryong-danryondae", "V-2",
                 None, "두 주 뒤 숨졌다. / She died two weeks later.", (("ryu", "present", "medium"),)),
            Act("hoeryong-labour", "forced_labour", "2017-01", "2017-06", "hoeryong-danryondae", None, 40,
                 "수감자 약 40명이 건설장에서 일했다. / About 40 detainees worked on a building site."),
        ),
    ),
    Incident(
        "hamhung",
        "함흥 집결소 알몸 수색 (날짜 미상)",
        "면담자가 전한 이야기. / An account passed on by an interviewer.",
        (
            Act("hamhung-search", "forced_nudity_search", None, None, "hamhung-jipkyulso", None, 12,
                 "여성들이 옷을 벗고 몸수색을 당했다. / Women were stripped and searched.",
                 (("pang", "carried_out", "low"),)),
            Act("hamhung-conditions", "inhumane_conditions", None, None, "hamhung-jipkyulso", None, None,
                 "좁은 감방 세 칸. / Three crowded cells."),
        ),
    ),
    Incident(
        "chongori-2016",
        "전거리 교화소 강제노동과 식량 박탈 (2015–2016년)",
        "아직 근거 자료가 연결되지 않은 사건. / An incident no account is linked to yet.",
        (
            Act("chongori-labour", "forced_labour", "2015", "2016", "chongori-kyohwaso", None, 200,
                 "광산 노동. / Work in a mine."),
            Act("chongori-food", "food_deprivation", "2016", None, "chongori-kyohwaso", None, None,
                 "배급을 줄이는 처벌. / Rations cut as punishment."),
        ),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Citation:
    """How a demo account is recorded: its source reference, its final triage state, and what it backs."""

    ref: str
    verified: bool
    connection: str
    reliability: str
    incidents: tuple[str, ...] = ()
    acts: tuple[str, ...] = ()
    #: (act key, person key, degree)
    involvements: tuple[tuple[str, str, str], ...] = ()


#: One per entry of :data:`core.demo.DEMO_ACCOUNTS`, in order. The third stays a lead (in review).
CITATIONS = (
    Citation(
        "W-0001", True, "victim", "likely_reliable",
        acts=("onsong-torture", "onsong-kneeling", "onsong-return"),
        involvements=(("onsong-torture", "kim", "carried_out"),),
    ),
    Citation(
        "W-0002", True, "witness", "highly_reliable",
        acts=("hoeryong-care", "hoeryong-death", "hoeryong-labour"),
        involvements=(("hoeryong-care", "ryu", "carried_out"),),
    ),
    Citation("W-0003", False, "third_party", "unsure", incidents=("hamhung",)),
)  # fmt: skip
