@allure.label.epic:Limits @destructive @needs.chat_socket
Feature: Each customer's use is limited by her plan, and a refusal says when to try again
  Each customer has limits by plan, per kind of request: chat messages, other
  writes, exports. A customer over a limit is told so plainly, with when to
  try again, and nothing they sent is silently dropped. One customer's
  limits never slow another. A plan change applies at once, either way, and
  only the company can make one.

  Every answer says how much of its limit is left, in the IETF's standard rate
  limit fields.
  The embedded platform's windows last seconds, so these journeys stay short.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Over_the_limit
  Scenario: A customer over her write limit is refused with a problem that says when to retry
    Given Alice has signed up and logged in
    When she opens chats until the platform refuses
    Then she is refused as over her limit, with a problem that says when to retry
    And the refusal names the limit and shows none of it left

  @normal @allure.label.story:Headers
  Scenario: Every write reports how much of the limit is left
    Given Alice has signed up and logged in
    When she opens 3 chats
    Then each answer shows one less of her write limit left

  @critical @allure.label.story:Recovery
  Scenario: A limited customer can write again after waiting as told
    Given Alice has signed up and logged in
    And she has opened chats until the platform refused
    When she waits as long as the refusal told her to
    Then she can open a chat again

  @blocker @allure.label.story:Fairness
  Scenario: One customer's limit never slows another
    Given Alice has signed up and logged in
    And she has opened chats until the platform refused
    And Bob has signed up and logged in
    When Bob opens a chat
    Then his chat is opened, with his whole write limit but one left

  @critical @allure.label.story:Over_the_limit
  Scenario: A chat message over the limit gets a rate_limited error frame, no run, and the chat stays open
    Given Alice is in a chat with the agent
    When she sends the agent more questions than her chat limit allows
    Then her last question is refused with "rate_limited" and when to retry, and no run starts
    And once she has waited, her next question is answered on the same chat

  @blocker @allure.label.story:Login_throttling
  Scenario: Failed logins are throttled per account, alike for known and unknown emails
    Given Alice has signed up
    When Mallory tries 6 times each to log in as Alice with a wrong password and with an email nobody has registered
    Then the sixth try of each kind is refused as too many, with the same answer

  @critical @allure.label.story:Login_throttling
  Scenario: Logins from one address are limited, whichever accounts they try, and other addresses are not held back
    Given Alice has signed up
    When Mallory, from one address, tries to log in to accounts nobody has until the platform refuses
    Then Alice logging in from Mallory's address is refused as too many, naming the per-address login limit
    And Alice logging in from an address of her own is let in

  @critical @allure.label.story:Plans
  Scenario: An upgrade raises the limit at once, without a new login
    Given Alice has signed up and logged in
    And she has opened chats until the platform refused
    When the company upgrades Alice to the pro plan
    Then she can open a chat again at once, with the same access token, under the pro plan's limit

  @critical @allure.label.story:Plans
  Scenario: An upgrade raises the chat limit at once, on the open chat
    Given Alice is in a chat with the agent
    And she has sent the agent more questions than her chat limit allows
    When the company upgrades Alice to the pro plan
    Then her next 5 questions are answered at once on the same chat

  @critical @allure.label.story:Over_the_limit
  Scenario: A customer asking for too many exports is refused with a problem that says when to retry
    Given Alice has signed up and logged in
    When she asks for exports of her data until the platform refuses
    Then she is refused as over her limit, with a problem that says when to retry
    And the refusal names the exports limit and shows none of it left

  @critical @allure.label.story:Plans
  Scenario: Moving back to the free plan does not hand back what was used
    Given Alice has signed up and logged in
    And the company has upgraded Alice to the pro plan
    And she has opened chats until the platform refused
    When the company moves Alice back to the free plan
    Then her next chat is refused, as what she used carried over

  @normal @allure.label.story:Plans
  Scenario: A request to the admin API without the admin token is refused as unauthorized
    When Mallory tries to upgrade a customer to the pro plan through the admin API without a token
    Then the admin API refuses her as unauthorized

  @blocker @allure.label.story:Plans
  Scenario: A customer's token is refused at the admin API
    Given Mallory has signed up and logged in
    When Mallory tries to upgrade herself to the pro plan through the admin API
    Then the admin API refuses her as forbidden, and her write limit is unchanged

  @blocker @allure.label.story:Plans
  Scenario Outline: No customer opens the admin API <how>
    Given Mallory has signed up and logged in
    When Mallory tries to upgrade herself to the pro plan through the admin API <how>
    Then the admin API refuses her as unauthorized, and her write limit is unchanged

    Examples:
      | how                                              |
      | with an empty admin token                        |
      | saying she comes from the operator's own network |

  @blocker @allure.label.story:Plans
  Scenario: A customer cannot choose her plan when she signs up
    Given Alice has signed up and logged in
    When Mallory signs up asking for the pro plan, and logs in
    Then her write limit is the one every new customer has, as Alice has it

  @critical @allure.label.story:Plans
  Scenario Outline: A move from the <from> plan to the <to> plan applies to the <limit> limit at once
    Given Alice has signed up and logged in
    And the company has moved Alice to the <from> plan
    When the company moves Alice to the <to> plan
    Then her next <request> is counted under the <to> plan's <limit> limit as the admin API gives it, not the <from> plan's

    Examples:
      | from | to   | request               | limit   |
      | free | pro  | request for an export | exports |
      | pro  | free | new chat              | writes  |
      | pro  | free | request for an export | exports |
