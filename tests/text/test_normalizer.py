"""Written -> spoken English: the normaliser's rules, case by case, and what eSpeak makes of the result.

Each category holds variations of its rule (not copies of one example) and a few look-alikes that must
*not* change. ``CASES`` is also what the optional-backend comparison in the report was scored on.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from fmtts.text import TextProcessor
from fmtts.text.normalizer import (
    date_to_words,
    fraction_to_words,
    normalize_text,
    number_to_words,
    ordinal_to_words,
    spell_out,
    telephone_to_words,
)

DATES = [
    ("The meeting is on 03/04/2021.", "The meeting is on March fourth, twenty twenty-one."),
    ("Born 12/25/1990 in Ohio", "Born December twenty-fifth, nineteen ninety in Ohio"),
    ("Due 25/12/2020", "Due the twenty-fifth of December, twenty twenty"),  # day first: 25 is no month
    ("On 17.05.2024 we met", "On the seventeenth of May, twenty twenty-four we met"),
    ("On 3/4/21 we met.", "On March fourth, twenty-one we met."),
    ("On 2024-05-17", "On May seventeenth, twenty twenty-four"),
    ("Released 1999-01-09.", "Released January ninth, nineteen ninety-nine."),
    ("January 5, 1990", "January fifth, nineteen ninety"),
    ("Jan. 5th 2000 was cold", "January fifth, two thousand was cold"),
    ("5 January 1990", "the fifth of January, nineteen ninety"),
    ("on 21st March", "on the twenty-first of March"),
    ("the 4th of July", "the fourth of July"),
    ("in May 2020", "in May twenty twenty"),
    ("Mon., Jan. 6", "Monday, January sixth"),
    ("Sat. 5 May", "Saturday the fifth of May"),
    ("We rest on Fri.", "We rest on Friday."),
    ("He sat in the Sun.", "He sat in the Sun."),  # not Sunday
    ("2024-13-45", "twenty twenty-four to thirteen to forty-five"),  # no such date: ranges
]

TIMES = [
    ("3:15 pm", "three fifteen p m"),
    ("at 10:00", "at ten o'clock"),
    ("at 14:30", "at fourteen thirty"),
    ("by 18:00 sharp", "by eighteen hundred sharp"),
    ("7:05PM", "seven oh five p m"),
    ("9am-5pm", "nine a-m to five p m"),
    ("Lunch at 12:00 pm.", "Lunch at twelve p m."),
    ("It's 00:30", "It's twelve thirty"),
    ("10:30:15", "ten thirty and fifteen seconds"),
    ("6 a.m. Then", "six a-m. Then"),
]

PHONES = [
    ("Call me at 555-123-4567.", "Call me at five five five, one two three, four five six seven."),
    ("(555) 123-4567", "five five five, one two three, four five six seven"),
    ("555.867.5309", "five five five, eight six seven, five three zero nine"),
    ("1-800-555-0199", "one, eight hundred, five five five, zero one nine nine"),
    ("+1 415 555 2671", "plus one, four one five, five five five, two six seven one"),
    ("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("Tel. 555-1234", "telephone five five five, one two three four"),
    ("555-123-4567 ext. 89", "five five five, one two three, four five six seven, extension eighty-nine"),
    ("between 500-1000 calories", "between five hundred and one thousand calories"),  # no cue word: range
]

URLS = [
    ("www.example.com", "double-u double-u double-u dot example dot com"),
    ("Visit https://github.com/fmtts/docs.", "Visit github dot com slash fmtts slash docs."),
    ("see python.org/downloads", "see python dot org slash downloads"),
    ("api.example.io/v2?id=7", "api dot example dot I-O slash v two question mark id equals seven"),
    ("john.doe@example.co.uk", "john dot doe at example dot co dot U-K"),
    ("Mail first_last@mail.com!", "Mail first underscore last at mail dot com!"),
    ("I use Node.js daily", "I use Node.js daily"),  # not a domain
]

UNITS = [
    ("70 kg", "seventy kilograms"),
    ("1 kg", "one kilogram"),
    ("2 kg of rice", "two kilograms of rice"),
    ("1.5 kg", "one point five kilograms"),
    ("1.5 kilograms", "one point five kilograms"),
    ("0.5 kg", "zero point five kilograms"),
    ("5 m", "five meters"),
    ("1 m", "one meter"),
    ("100m", "one hundred meters"),
    ("12 mm and 3 cm", "twelve millimeters and three centimeters"),
    ("5 km in 20 min", "five kilometers in twenty minutes"),
    ("250 g", "two hundred fifty grams"),
    ("5 mg", "five milligrams"),
    ("10 lb", "ten pounds"),
    ("1 lb", "one pound"),
    ("8 oz", "eight ounces"),
    ("6 ft tall", "six feet tall"),
    ("1 ft", "one foot"),
    ("a 12 in. ruler", "a twelve inch ruler"),
    ("12 in.", "twelve inches."),
    ("3 mi", "three miles"),
    ("100 yd", "one hundred yards"),
    ("2 l of water", "two liters of water"),
    ("500 ml", "five hundred milliliters"),
    ("1 L", "one liter"),
    ("25 °C", "twenty-five degrees Celsius"),
    ("-5°C", "minus five degrees Celsius"),
    ("1 °F", "one degree Fahrenheit"),
    ("a 90° angle", "a ninety degree angle"),
    ("3.5 GB", "three point five gigabytes"),
    ("512 KB", "five hundred twelve kilobytes"),
    ("4 MB", "four megabytes"),
    ("2 TB", "two terabytes"),
    ("50 Hz", "fifty hertz"),
    ("2.4 GHz", "two point four gigahertz"),
    ("44.1 kHz", "forty-four point one kilohertz"),
    ("65 mph", "sixty-five miles per hour"),
    ("1 mph", "one mile per hour"),
    ("100 km/h", "one hundred kilometers per hour"),
    ("9.8 m/s", "nine point eight meters per second"),
    ("9.58 s.", "nine point five eight seconds."),
    ("200 ms", "two hundred milliseconds"),
    ("a 5-km run", "a five-kilometer run"),
    ("60 W bulb", "sixty watts bulb"),
    ("500 W Main St", "five hundred W Main Street"),  # West, not watts
    ("5 in the morning", "five in the morning"),  # the preposition
    ("3 in. x 5 in.", "three inches by five inches."),
    ("1,500 kg", "one thousand five hundred kilograms"),
    ("3 mg/kg", "three milligrams per kilogram"),
    ("5 m²", "five meters squared"),
    ("She is 5'11\" tall", "She is five feet eleven inches tall"),
    ("a 6' pole", "a six foot pole"),
    ("38 yrs old", "thirty-eight years old"),
]

FRACTIONS = [
    ("1/2", "one half"),
    ("3/4", "three quarters"),
    ("2/3 of them", "two thirds of them"),
    ("5/8", "five eighths"),
    ("1/3", "one third"),
    ("7/16", "seven sixteenths"),
    ("1 1/2", "one and a half"),
    ("2 3/4 cups", "two and three quarters cups"),
    ("1/2 cup", "half a cup"),
    ("3/4 cup", "three quarters of a cup"),
    ("1/4 mile", "a quarter of a mile"),
    ("1/8 inch", "an eighth of an inch"),
    ("1/2 kg", "half a kilogram"),
    ("1 1/2 kg", "one and a half kilograms"),
    ("½ cup", "half a cup"),
    ("1½ hours", "one and a half hours"),
    ("rated 8/10", "rated eight out of ten"),
    ("open 24/7", "open twenty-four seven"),
]

RANGES_AND_SCORES = [
    ("1990-1995", "nineteen ninety to nineteen ninety-five"),
    ("1990–1995", "nineteen ninety to nineteen ninety-five"),
    ("pages 10-12", "pages ten to twelve"),
    ("4-6 hours", "four to six hours"),
    ("5-10 kg", "five to ten kilograms"),
    ("10%-20%", "ten percent to twenty percent"),
    ("from 5-10", "from five to ten"),
    ("the 2020-21 season", "the twenty twenty to twenty-one season"),
    ("won 3-2", "won three to two"),
    ("The Lakers won 102-99.", "The Lakers won one hundred two to ninety-nine."),
    ("a 1-0 lead", "a one to zero lead"),
    ("5 - 3 = 2", "five minus three equals two"),
    ("a 2-year-old", "a two-year-old"),  # not a range
    ("a 50-50 chance", "a fifty-fifty chance"),
    ("open Mon-Fri", "open Monday to Friday"),
]

ROMAN = [
    ("World War II", "World War two"),
    ("World War I ended", "World War one ended"),
    ("Louis XIV", "Louis the fourteenth"),
    ("Elizabeth II", "Elizabeth the second"),
    ("Henry VIII's wives", "Henry the eighth's wives"),
    ("King Henry V", "King Henry the fifth"),
    ("Pope John Paul II", "Pope John Paul the second"),
    ("Henry Ford II", "Henry Ford the second"),
    ("Charles I of England", "Charles the first of England"),
    ("Chapter IV", "Chapter four"),
    ("see chapter XII", "see chapter twelve"),
    ("Part III", "Part three"),
    ("Super Bowl LVII", "Super Bowl fifty-seven"),
    ("Apollo XI", "Apollo eleven"),
    ("type II diabetes", "type two diabetes"),
    ("Rocky IV", "Rocky four"),
    ("Final Fantasy VII", "Final Fantasy seven"),
    ("Vol. IV", "volume four"),
    # look-alikes that stay
    ("I went home and I slept", "I went home and I slept"),
    ("When Peter I saw it", "When Peter I saw it"),
    ("a MIX of DC and CD", "a MIX of DC and CD"),
    ("Malcolm X", "Malcolm X"),
    ("size XL", "size XL"),
    ("an IV drip", "an I-V drip"),  # the medical IV is spelled
]

ORDINALS_AND_NUMBERS = [
    ("1st 2nd 3rd 4th", "first second third fourth"),
    ("the 23rd and 101st", "the twenty-third and one hundred first"),
    ("his 11th, 12th and 13th", "his eleventh, twelfth and thirteenth"),
    ("3.14159", "three point one four one five nine"),
    (".5 of it", "point five of it"),
    ("-5", "minus five"),
    ("it fell to -12.5", "it fell to minus twelve point five"),
    ("2,000,000 people", "two million people"),
    ("5M users", "five million users"),
    ("10k steps", "ten thousand steps"),
    ("2.5bn people", "two point five billion people"),
    ("version 1.2.3", "version one point two point three"),
    ("ping 192.168.1.1", "ping one nine two dot one six eight dot one dot one"),
    ("#1 hit", "number one hit"),
    ("No. 7", "number seven"),
    ("the 1980s", "the nineteen eighties"),
    ("the 1800s", "the eighteen hundreds"),
    ("the '90s", "the nineties"),
    ("80s music", "eighties music"),
    ("in her 30s", "in her thirties"),
    ("100s of people", "hundreds of people"),
    ("10x faster", "ten times faster"),
    ("1.5x", "one point five times"),
    ("a 2x4", "a two by four"),
    ("1920x1080", "nineteen twenty by one thousand eighty"),
    ("the 1990's", "the nineteen nineties"),
    ("a 16:9 screen", "a sixteen to nine screen"),
    ("Call 911!", "Call nine one one!"),
    ("in 1066 AD", "in ten sixty-six A-D"),
]

CURRENCY = [
    ("$1.2 million", "one point two million dollars"),
    ("$5.50", "five dollars and fifty cents"),
    ("$0.99", "ninety-nine cents"),
    ("$1", "one dollar"),
    ("£5m", "five million pounds"),
    ("$50K salary", "fifty thousand dollars salary"),
    ("$3bn deal", "three billion dollars deal"),
    ("£1.50", "one pound and fifty pence"),
    ("€2.50", "two euros and fifty cents"),
    ("¥500", "five hundred yen"),
    ("99¢", "ninety-nine cents"),
    ("5 USD", "five dollars"),
    ("$20/hr", "twenty dollars per hour"),
    ("-$5", "minus five dollars"),
]

SYMBOLS = [
    ("you & me", "you and me"),
    ("me @ home", "me at home"),
    ("1 + 1 = 2", "one plus one equals two"),
    ("x=5", "x equals five"),
    ("50% off", "fifty percent off"),
    ("~5 min", "about five minutes"),
    ("<5 ms", "less than five milliseconds"),
    ("x > 5", "x greater than five"),
    ("±2", "plus or minus two"),
    ("and/or", "and or"),
    ("C++ and C#", "C plus plus and C sharp"),
    ("R&D", "R and D"),
    ("AT&T", "A-T and T"),
    ("#hashtag", "hashtag hashtag"),  # a hashtag is read with its sign
]

ABBREVIATIONS = [
    ("Fig. 3", "figure three"),
    ("see Figs. 3-5", "see figures three to five"),
    ("Fig 2", "figure two"),
    ("Eq. 2", "equation two"),
    ("pp. 10-12", "pages ten to twelve"),
    ("p. 5", "page five"),
    ("Ch. 3", "chapter three"),
    ("cats vs. dogs", "cats versus dogs"),
    ("Roe v. Wade", "Roe versus Wade"),
    ("approx. 5", "approximately five"),
    ("tea, coffee, etc.", "tea, coffee, et cetera."),
    ("e.g. this", "for example this"),
    ("i.e. that", "that is that"),
    ("Dr. Lee", "Doctor Lee"),
    ("Mr. and Mrs. Lee", "Mister and Missus Lee"),
    ("St. Paul", "Saint Paul"),
    ("Mt. Everest", "Mount Everest"),
    ("Jan. and Feb.", "January and February."),
    ("in Sept. 2001", "in September two thousand one"),
    ("w/ milk", "with milk"),
    ("Smith et al. found", "Smith et al found"),
    ("the U.S. Army", "the US Army"),
    ("in the U.S.", "in the US."),
    ("N.Y.C. and U.S.A.", "N-Y-C and USA."),
]

ACRONYMS = [
    ("The NIH, the FBI and NASA.", "The N-I-H, the FBI and NASA."),  # FBI: eSpeak spells it itself
    ("a VIP pass", "a V-I-P pass"),
    ("the EPA said", "the E-P-eh said"),
    ("the EPA's rules", "the E-P-A's rules"),
    ("three TVs", "three T-V's"),
    ("UCSB and USPS", "U-C-S-B and U-S-P-S"),
    ("Ask AWS.", "Ask A-W-S."),
    ("NATO, UNESCO, SCUBA and LASER", "NATO, UNESCO, SCUBA and LASER"),
    ("JSON and JPEG", "JSON and JPEG"),
    ("WWII", "World War two"),
    ("the NCAA", "the N-C-double-A"),
    ("I WANT THE NYC TICKETS NOW", "I WANT THE N-Y-C TICKETS NOW"),  # shouting stays words
    ("STOP, HMM, OMG", "STOP, HMM, O-M-G"),
    ("COVID-19", "COVID nineteen"),
    ("Q4 results", "Q four results"),
    ("an A4 page", "an eh four page"),
    ("MP3 and 3D and 4K", "MP three and three D and four K"),
    ("R2D2", "R two D two"),
    ("an F-16", "an F sixteen"),
]

# Real-world sentences outside the categories above: a number and unit before a noun is an adjective
# ("a ten millimeter wrench"), codes and model numbers, addresses, formulas; and look-alikes that keep
# their ordinary reading.
ADJECTIVAL_UNITS = [
    ("Use 3/4-inch screws.", "Use three-quarter-inch screws."),
    ("a 1/2-inch pipe", "a half-inch pipe"),
    ("Grab a 10mm wrench.", "Grab a ten millimeter wrench."),
    ("the 100m dash", "the one hundred meter dash"),
    ("a 512GB SSD", "a five hundred twelve gigabyte SSD"),
    ("a 1.5 L bottle", "a one point five liter bottle"),
    ("a 2.5 kg bag of rice", "a two point five kilogram bag of rice"),
    ("the 5 kg of flour", "the five kilograms of flour"),
    ("I walked the 5 km to town.", "I walked the five kilometers to town."),
    ("the 10 km left", "the ten kilometers left"),
    ("a 12V battery", "a twelve volt battery"),
    ("the 3 ft wide door", "the three foot wide door"),
    ("a 6'2\" man", "a six foot two man"),
    ("a 101°F fever", "a one hundred one degree Fahrenheit fever"),
    ("a 1/2 cup of milk", "a half cup of milk"),
    ("a 1/4 hour", "a quarter hour"),
    ("A 2/3 majority", "A two-thirds majority"),
    ('Apply a 1/4" bead.', "Apply a quarter inch bead."),
    ('It has a 6.7" display.', "It has a six point seven inch display."),
    ('The TV is 65" wide.', "The TV is sixty-five inches wide."),
    ('He said "I want 2" and left.', 'He said "I want two" and left.'),
    ("a $5 bill", "a five dollar bill"),
    ("a $1.2 million contract", "a one point two million dollar contract"),
    ("the $20 I gave you", "the twenty dollars I gave you"),
]

PHONES_MONEY_AND_CODES = [
    (
        "Call 555-123-4567 ext. 12.",
        "Call five five five, one two three, four five six seven, extension twelve.",
    ),
    (
        "Call (800) 555-0100 x 2045.",
        "Call eight hundred, five five five, zero one zero zero, extension two zero four five.",
    ),
    (
        "Reach me at +91 98765 43210.",
        "Reach me at plus nine one, nine eight seven six five, four three two one zero.",
    ),
    ("Call 020 7946 0958.", "Call zero two zero, seven nine four six, zero nine five eight."),
    ("My number is 07700 900123.", "My number is zero seven seven zero zero, nine zero zero one two three."),
    ("Call 1-800-FLOWERS now.", "Call one, eight hundred, FLOWERS now."),
    ("The ticket is US$50.", "The ticket is fifty US dollars."),
    ("He paid A$1,000.", "He paid one thousand Australian dollars."),
    ("The price is USD 50.", "The price is fifty dollars."),
    ("It costs 5.50 EUR.", "It costs five euros and fifty cents."),
    ("CAD 20", "twenty Canadian dollars"),
    ("Her PIN is 4321.", "Her PIN is four three two one."),
    ("zip code 90210", "zip code nine zero two one zero"),
    ("Order #12345 has shipped.", "Order number one two three four five has shipped."),
    ("HTTP 404 Not Found.", "HTTP four oh four Not Found."),
    ("Error code 503.", "Error code five oh three."),
    ("The part number is 12-345-67.", "The part number is one two, three four five, six seven."),
    ("a 401(k) plan", "a four oh one K plan"),
]

DATES_TIMES_AND_SCORES = [
    ("Class of '99.", "Class of ninety-nine."),
    ("Back in '05 we moved.", "Back in oh five we moved."),
    ("Bake at 180C for 20 mins.", "Bake at one hundred eighty degrees Celsius for twenty minutes."),
    ("Lows near 40 degrees F.", "Lows near forty degrees Fahrenheit."),
    ("Apt 5C is vacant.", "apartment five C is vacant."),
    ("Bolt clocked 9.58s.", "Bolt clocked nine point five eight seconds."),
    ("Streams in 1080p.", "Streams in ten eighty p."),
    ("The camera shoots 4K at 60fps.", "The camera shoots four K at sixty frames per second."),
    ("Meet at 8.30pm.", "Meet at eight thirty p m."),
    ("It lasted 2h 30m.", "It lasted two hours thirty minutes."),
    ("In 2020/21 the club won.", "In twenty twenty to twenty-one the club won."),
    ("a 9-to-5 job", "a nine to five job"),
    ("The sale ends 12/31.", "The sale ends December thirty-first."),
    ("The deadline is 5/1.", "The deadline is May first."),
    ("Friday 3/15", "Friday March fifteenth"),
    ("She got 17/20 on the test.", "She got seventeen out of twenty on the test."),
    ("rated 4/5 stars", "rated four out of five stars"),
    ("2/5 of people", "two fifths of people"),
    ("The odds are 3/1.", "The odds are three to one."),
    ("Split it 60/40.", "Split it sixty-forty."),
    ("The 49ers won.", "The forty-niners won."),
    ("The 3rd of March is her birthday.", "The third of March is her birthday."),
    ("Due by Mon, Feb 3.", "Due by Monday, February third."),
    ("John 3:16 and Genesis 1:1", "John three sixteen and Genesis one one"),
    ("Mark 5:30 pm", "Mark five thirty p m"),
]

MODELS_ADDRESSES_AND_FORMULAS = [
    ("The Philadelphia 76ers lost.", "The Philadelphia seventy-sixers lost."),
    ("A Boeing 747 landed.", "A Boeing seven forty-seven landed."),
    ("He owns a Porsche 911.", "He owns a Porsche nine eleven."),
    ("The 737 MAX was grounded.", "The seven thirty-seven MAX was grounded."),
    ("The RTX 4090 and the GTX 1080", "The RTX forty ninety and the GTX ten eighty"),
    ("The Airbus A320", "The Airbus eh three twenty"),
    ("A Ford F-150 truck.", "A Ford F one fifty truck."),
    ("Blink-182 played.", "Blink one eighty-two played."),
    ("E = mc^2.", "E equals mc squared."),
    ("2^10 = 1024", "two to the power of ten equals one thousand twenty-four"),
    ("Math: 5 * 3 = 15.", "Math: five times three equals fifteen."),
    ("Compute 10 / 2 = 5.", "Compute ten divided by two equals five."),
    ("Cupertino, CA 95014.", "Cupertino, California nine five zero one four."),
    ("Austin, TX 78701-1234.", "Austin, Texas seven eight seven zero one, one two three four."),
    ("London SW1A 2AA", "London S-W one eh, two A-eh"),
    ("He lives on W 42nd St.", "He lives on West forty-second Street."),
    ("Pennsylvania Ave NW", "Pennsylvania Avenue Northwest"),
    ("Main St. E, then St. Louis", "Main Street East, then Saint Louis"),
    ("Follow us #blessed #ThrowbackThursday", "Follow us hashtag blessed hashtag Throwback Thursday"),
    ("Use #define in C.", "Use define in C."),
    ("Go to http://localhost:8080/api.", "Go to localhost colon eighty eighty slash api."),
    ("Edit the .env file.", "Edit the dot env file."),
    ("NASA launched Artemis I.", "NASA launched Artemis one."),
]

REAL_WORLD_LOOKALIKES = [
    ("Room 1204 is on the 12th floor.", "Room twelve oh four is on the twelfth floor."),
    ("Flight UA 2045 departs at 6:15.", "Flight UA twenty forty-five departs at six fifteen."),
    ("There were 2000 people there.", "There were two thousand people there."),
    ("Give me a 5 and a 10.", "Give me a five and a ten."),
    ("I have a 3 in my hand.", "I have a three in my hand."),
    ("Room 5F is upstairs.", "Room five F is upstairs."),
    ("Grade 5C students.", "Grade five C students."),
    ("Error 5 occurred.", "Error five occurred."),
    ("The code has 300 lines.", "The code has three hundred lines."),
    ("Page 3 of 5.", "Page three of five."),
    ("The Yankees beat the Red Sox 7-3.", "The Yankees beat the Red Sox seven to three."),
    ("He won 6-4 6-3.", "He won six to four six to three."),
    ("A 1000-year-old tree.", "A one thousand-year-old tree."),
    ("An 8-year-old boy and his 10-year-old sister.", "An eight-year-old boy and his ten-year-old sister."),
    ("Adults 18+ only.", "Adults eighteen plus only."),
    ("It's 0.5x speed.", "It's zero point five times speed."),
    ("The 5G network.", "The five G network."),
    ("Python 3.12 is out.", "Python three point one two is out."),
    ("Stage IV cancer.", "Stage four cancer."),
    ("Mary I of England.", "Mary the first of England."),
    ("Washington D.C. is the capital.", "Washington DC is the capital."),
    ("Set DEBUG=true now.", "Set DEBUG equals true now."),
    ("Take 500mg of ibuprofen.", "Take five hundred milligrams of ibuprofen."),
    ("The baby weighed 7 lbs 8 oz.", "The baby weighed seven pounds eight ounces."),
    ("It's 20-25°C outside.", "It's twenty to twenty-five degrees Celsius outside."),
    (
        "Interest rates of 5.25%-5.5%.",
        "Interest rates of five point two five percent to five point five percent.",
    ),
    ("Netflix charges $15.49/mo.", "Netflix charges fifteen dollars and forty-nine cents per month."),
    ("Tuesday, March 5th at 7pm.", "Tuesday, March fifth at seven p m."),
    ("On 4 July 1976.", "On the fourth of July, nineteen seventy-six."),
]

REVIEW_REGRESSIONS = [  # sentences the rules of one change misread; the base had them right
    ("Dr. N. Patel will see you.", "Doctor N. Patel will see you."),
    ("Dr S Gupta is in.", "Doctor S Gupta is in."),
    ("St. N. Church is old.", "Saint N. Church is old."),
    ("Ask Dr S. Jones today.", "Ask Doctor S. Jones today."),
    ("Oak Ct. E. of the park", "Oak Court East of the park"),
    ("I live on Oak Ct. E.", "I live on Oak Court East."),
    ("He lives at 12 Elm Dr N, Springfield.", "He lives at twelve Elm Drive North, Springfield."),
    ("Main St. N is closed.", "Main Street North is closed."),
    ("Meet at 5th Ave. NW. Then go.", "Meet at fifth Avenue Northwest. Then go."),
    ("Prices dropped by 1/3 last year.", "Prices dropped by one third last year."),
    ("Reduce by 1/2 cup.", "Reduce by half a cup."),
    ("Fill the jar from 1/2 to 3/4 full.", "Fill the jar from one half to three quarters full."),
    ("On 2/3 of the votes", "On two thirds of the votes"),
    ("since 1/5 abstained", "since one fifth abstained"),
    ("before 1/2 was left", "before one half was left"),
    ("through 1/2 of the tape", "through one half of the tape"),
    ("after 1/4 of the race", "after one quarter of the race"),
    ("from 10/15 to 10/20", "from October fifteenth to October twentieth"),
    ("Open from 9/1 to 9/30.", "Open from September first to September thirtieth."),
    ("Pay by 12/31.", "Pay by December thirty-first."),
    ("See you on 3/15.", "See you on March fifteenth."),
    ("Due 3/4", "Due March fourth"),
    ("Her birthday is on 4/12.", "Her birthday is on April twelfth."),
    ("The score was 12/15.", "The score was twelve fifteenths."),
    ("a 1/24 scale model", "a one-twenty-fourth scale model"),
    ("A 1/18 scale car", "A one-eighteenth scale car"),
    ("Shoot at 1/30 for video", "Shoot at one thirtieth for video"),
    ("Expires 09/26", "Expires September twenty twenty-six"),
    ("Valid thru 12/25", "Valid thru December twenty twenty-five"),
    ("Exp 11/27", "Exp November twenty twenty-seven"),
    ("The offer expires 12/25.", "The offer expires December twenty-fifth."),
    ("The code is 3000 lines long.", "The code is three thousand lines long."),
    ("This code was 400 lines.", "This code was four hundred lines."),
    ("My area code is 415.", "My area code is four one five."),
    ("Use promo code 2024 at checkout.", "Use promo code two zero two four at checkout."),
    ("The ZIP code is 10001.", "The ZIP code is one zero zero zero one."),
    ("Your OTP is 482913.", "Your O-T-P is four eight two nine one three."),
    ("The number 10000 is big.", "The number ten thousand is big."),
    ("Think of the number 65536", "Think of the number sixty-five thousand five hundred thirty-six"),
    ("Invoice No. 123456 is due.", "Invoice number one two three four five six is due."),
    ("Order # 55555", "Order number five five five five five"),
    ("The airline has 320 jets", "The airline has three hundred twenty jets"),
    ("more than 120 aircraft", "more than one hundred twenty aircraft"),
    ("250 airliners", "two hundred fifty airliners"),
    ("They bought 2 Boeing 787 Dreamliners.", "They bought two Boeing seven eighty-seven Dreamliners."),
    ('"I am done. I turned 25" she said.', '"I am done. I turned twenty-five" she said.'),
    ('I turned 25" she said.', 'I turned twenty-five" she said.'),
    ('"Give me 5" he asked.', '"Give me five" he asked.'),
    (
        'He said "I want 2" and left. He bought a 55" TV.',
        'He said "I want two" and left. He bought a fifty-five inch TV.',
    ),
    ('A 55" TV and a "big" 65" TV.', 'A fifty-five inch TV and a "big" sixty-five inch TV.'),
    ('Cut it to 12".', "Cut it to twelve inches."),
    ("It's cold in room 4C.", "It's cold in room four C."),
    ("The heat in flat 2F is broken.", "The heat in flat two F is broken."),
    ("Preheat the oven. Add 1 C sugar", "Preheat the oven. Add one C sugar"),
    ("Seat 12C is taken.", "Seat twelve C is taken."),
    ("Highs of 30C today.", "Highs of thirty degrees Celsius today."),
    ("Preheat the oven to 200C.", "Preheat the oven to two hundred degrees Celsius."),
    ("Set the thermostat to 21C please.", "Set the thermostat to twenty-one degrees Celsius please."),
    ("Heat the oil to 180C and fry.", "Heat the oil to one hundred eighty degrees Celsius and fry."),
    ("I gave her $20 yesterday.", "I gave her twenty dollars yesterday."),
    ("Send the $100 today", "Send the one hundred dollars today"),
    ("Spend the $20 wisely", "Spend the twenty dollars wisely"),
    ("The 10 km felt easy", "The ten kilometers felt easy"),
    ("The $5 covers lunch", "The five dollars covers lunch"),
    ("My 2 GB isn't enough", "My two gigabytes isn't enough"),
    ("Is the 2 kg enough?", "Is the two kilograms enough?"),
    ("Add the 2 kg next", "Add the two kilograms next"),
    ("I know that 5 km seems far", "I know that five kilometers seems far"),
    ("The $50 cost me a lot.", "The fifty dollars cost me a lot."),
    ("The 10 km seemed easy.", "The ten kilometers seemed easy."),
    ("Put the 10mm screws in.", "Put the ten millimeters screws in."),
    ("He paid the $200 fine.", "He paid the two hundred dollar fine."),
    ("Take the 2 km trail.", "Take the two kilometer trail."),
    ("a $10 monthly fee", "a ten dollar monthly fee"),
    ("Keep the 5-km route.", "Keep the five-kilometer route."),
    ("Check the 5 GB limit.", "Check the five gigabyte limit."),
    ("Use the 10 mm bolts.", "Use the ten millimeters bolts."),  # "-s" after "the": no tagger, as before
    ("I ran the 10 km yesterday.", "I ran the ten kilometers yesterday."),
    ("Meet me on 1/15.", "Meet me on January fifteenth."),
    ("The class starts on 1/2.", "The class starts on January second."),
    ("We got 3/4 of the way there.", "We got three quarters of the way there."),
    ("St. Mary's Hospital is on 5th St. N.", "Saint Mary's Hospital is on fifth Street North."),
    ("Enter code 7788 to unlock.", "Enter code seven seven eight eight to unlock."),
    ("Row 3C please.", "Row three C please."),
    (
        "Cook at 375F for 25 min.",
        "Cook at three hundred seventy-five degrees Fahrenheit for twenty-five minutes.",
    ),
    ("Item #A12", "Item eh twelve"),
    ("Unit #C3", "Unit C three"),
    ("Follow #TBT", "Follow hashtag TBT"),
    ("Step 3 / 5", "Step three of five"),
    ("Rating: 4 / 5", "Rating: four out of five"),
    ("Page 12/40 done.", "Page twelve of forty done."),
    ("Rated 4.5/5 by users", "Rated four point five out of five by users"),
    ("Step 3/4 cup", "Step three quarters of a cup"),
    ("Rated 5 stars * terms apply", "Rated five stars terms apply"),
    ("It costs $5 * 3 items", "It costs five dollars times three items"),
    ("He paused . . .and then left.", "He paused...and then left."),
    ("Wait... .NET is fine.", "Wait... dot NET is fine."),
    ("The A1 2PM meeting", "The eh one two p m meeting"),
    ("M1 1AE is in Manchester.", "M one, one A-E is in Manchester."),
    ("A 100-200-300 ladder", "A one hundred, two hundred, three hundred ladder"),
]

EXISTING = [  # kept from before the rewrite
    ("I have 42 cats.", "I have forty-two cats."),
    ("Call 007.", "Call zero zero seven."),
    ("In 1999.", "In nineteen ninety-nine."),
    ("1999 dollars", "one thousand nine hundred ninety-nine dollars"),
    ("It's 50% off at 10:00.", "It's fifty percent off at ten o'clock."),
]

CASES = (
    DATES
    + TIMES
    + PHONES
    + URLS
    + UNITS
    + FRACTIONS
    + RANGES_AND_SCORES
    + ROMAN
    + ORDINALS_AND_NUMBERS
    + CURRENCY
    + SYMBOLS
    + ABBREVIATIONS
    + ACRONYMS
    + EXISTING
    + ADJECTIVAL_UNITS
    + PHONES_MONEY_AND_CODES
    + DATES_TIMES_AND_SCORES
    + MODELS_ADDRESSES_AND_FORMULAS
    + REAL_WORLD_LOOKALIKES
    + REVIEW_REGRESSIONS
)


def test_table_is_big_and_unique() -> None:
    assert len(CASES) >= 350
    written = [w for w, _ in CASES]
    assert len(written) == len(set(written)), "duplicate cases"


@pytest.mark.parametrize(("written", "spoken"), CASES, ids=[w for w, _ in CASES])
def test_normalize(written: str, spoken: str) -> None:
    assert normalize_text(written) == spoken


@pytest.mark.parametrize(("written", "_spoken"), CASES[::7], ids=[w for w, _ in CASES[::7]])
def test_idempotent(written: str, _spoken: str) -> None:
    once = normalize_text(written)
    assert normalize_text(once) == once


def test_no_digits_or_symbols_left() -> None:
    for written, _ in CASES:
        out = normalize_text(written)
        assert not re.search(r"[0-9$£€¥%&@#+=/<>~°×]", out), (written, out)


# --------------------------------------------------------------------------------------------------------
# Helpers shared with SSML <say-as>
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "cardinal", "ordinal"),
    [
        (105, "one hundred five", "one hundred fifth"),
        (1234, "one thousand two hundred thirty-four", "one thousand two hundred thirty-fourth"),
        (1_000_101, "one million one hundred one", "one million one hundred first"),
        (101_000, "one hundred one thousand", "one hundred one thousandth"),
        (-40, "minus forty", "minus fortieth"),
        (0, "zero", "zeroth"),
    ],
)
def test_cardinals_and_ordinals_are_american(n: int, cardinal: str, ordinal: str) -> None:
    """num2words writes British English ("one hundred and five", "one thousand, two hundred"): the
    normaliser's reading has neither the "and" nor the commas."""
    assert number_to_words(n) == cardinal
    assert ordinal_to_words(n) == ordinal


def test_cardinals_end_below_ten_to_the_36th() -> None:
    assert number_to_words(10**36 - 1).startswith("nine hundred ninety-nine decillion nine hundred")
    assert number_to_words(10**36) == "one" + " zero" * 36
    assert ordinal_to_words(10**36) == "one" + " zero" * 35 + " zeroth"


def test_normalizer_imports_no_numeric_stack() -> None:
    """The normaliser is part of the torch-free runtime: importing it pulls in no torch, numpy or librosa."""
    code = (
        "import sys, fmtts.text.normalizer; "
        "print(sorted(m for m in ('torch', 'numpy', 'librosa', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fraction_to_words() -> None:
    assert fraction_to_words(1, 2) == "one half"
    assert fraction_to_words(3, 2) == "three halves"
    assert fraction_to_words(1, 4) == "one quarter"
    assert fraction_to_words(9, 10) == "nine out of ten"
    assert fraction_to_words(1, 10) == "one tenth"
    assert fraction_to_words(5, 5) == "five out of five"
    assert fraction_to_words(3, 1) == "three over one"


def test_date_to_words() -> None:
    assert date_to_words(2021, 3, 4) == "March fourth, twenty twenty-one"
    assert date_to_words(2021, 3, 4, day_first=True) == "the fourth of March, twenty twenty-one"
    assert date_to_words(None, 7, 4) == "July fourth"
    assert date_to_words(1990, 1) == "January nineteen ninety"
    assert date_to_words(5, 1, 2) == "January second, oh five"
    with pytest.raises(ValueError):
        date_to_words(2000, 13, 1)


def test_telephone_and_spelling() -> None:
    assert telephone_to_words("5551234567") == "five five five, one two three, four five six seven"
    assert telephone_to_words("+1 800 555 0100").startswith("plus one, eight hundred, five five five")
    assert spell_out("ABC123") == "A-B-C one two three"
    assert spell_out("nasa") == "N-A-S-eh"


# --------------------------------------------------------------------------------------------------------
# What eSpeak makes of it
# --------------------------------------------------------------------------------------------------------

PHONEME_SAMPLES = [
    "The meeting is on 03/04/2021 at 3:15 pm.",
    "Call 1-800-555-0199 or visit www.example.com/help.",
    "Louis XIV spent $1.2 million in the 1680s; World War II ended in 1945.",
    "Add 1 1/2 cups, 250 g of flour and 3/4 tsp salt; bake at 180 °C for 25-30 min.",
    "Q4 sales rose 10x to 3.5 GB per user (#1 in the U.S.), up 15% vs. 2023.",
]


@pytest.fixture(scope="module")
def processor() -> TextProcessor:
    return TextProcessor()


def test_phonemes_have_no_digits_or_symbols(processor: TextProcessor) -> None:
    phonemes = processor.phonemize(PHONEME_SAMPLES)
    for text, ph in zip(PHONEME_SAMPLES, phonemes, strict=True):
        assert ph, text
        assert not re.search(r"[0-9$£€%&@#+=/<>~°]", ph), (text, ph)
        assert "ɹˌoʊmən" not in ph, (text, ph)  # eSpeak's "roman two" for an unread numeral


def test_phonemes_spell_letters_as_letters(processor: TextProcessor) -> None:
    # a spelled final A is "ay", not the article "uh"; "a-m" is "ay em"
    ph_epa, ph_time = processor.phonemize(["the EPA said", "at 6 am today"])
    assert "ˈiːpˈiːˈeɪ" in ph_epa, ph_epa
    assert "ˈeɪˈɛm" in ph_time, ph_time


@pytest.mark.parametrize(
    "template", ["{}", "${}", "{}th", "{}%", "{} km", "{}-{}", "{}:{}", "{}.{}", "room {}"]
)
def test_digit_runs_too_long_for_a_cardinal_are_read_digit_by_digit(template: str) -> None:
    """Past decillions a number has no cardinal reading, and past 4,300 digits Python's int() refuses
    the string: such runs are read digit by digit in every context, never a crash."""
    digits = "7" * 5000
    out = normalize_text(template.format(digits, digits))
    assert out.count("seven") >= 5000 and not any(c.isdigit() for c in out)


def test_a_long_fraction_keeps_its_point() -> None:
    assert normalize_text("3." + "1415926535" * 5).startswith("three point one four one five")
