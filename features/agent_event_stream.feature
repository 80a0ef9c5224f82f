@allure.label.epic:Agent_chat @needs.chat_socket
Feature: The agent shows its work as it goes, in a stream an app can rely on
  While the agent works on a question, the customer's app shows its progress
  from a stream of events. Apps build their screens from this stream, so it is
  a contract: every run is bracketed by one start and one end, every event says
  which run and thread it belongs to and where it falls in the run, tool calls
  pair up, failures end the run visibly, and only the account holder can open
  the stream or write into her chat.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Run_lifecycle
  Scenario: A run opens with one agent_started and closes with one terminal event, which comes last
    Given Alice is in a chat with the agent
    When she asks the agent "What is 12 * 7?"
    Then the run starts with a single agent_started and ends with a single terminal event, which comes last

  @critical @allure.label.story:Run_lifecycle
  Scenario: Nothing arrives after the terminal event, not even a moment later
    Given Alice is in a chat with the agent
    When she asks the agent "What is 12 * 7?"
    Then nothing arrives on her chat in the 2 seconds after the terminal event

  @critical @allure.label.story:Run_lifecycle
  Scenario: Every event names its run and thread, and seq has no gaps
    Given Alice is in a chat with the agent
    When she asks the agent "What would 250k tokens a day cost per month?"
    Then every event carries the run id and her thread id
    And the events are numbered 1, 2, 3 and so on without gaps

  @critical @allure.label.story:Tool_calls
  Scenario: Every completed tool call matches a tool call that started
    Given Alice is in a chat with the agent
    When she asks the agent "What is (3 + 4) * 6?"
    Then every tool_completed pairs with an earlier tool_executing by tool call id

  @critical @allure.label.story:Failures
  Scenario: A failing tool ends the run with agent_error that says what went wrong
    Given Alice is in a chat with the agent
    When she asks the agent "What is 1 / 0?"
    Then the tool call that failed is followed by agent_error "tool_failed" with a message, as the last event

  @normal @allure.label.story:Run_lifecycle
  Scenario: Each question is answered by a run of its own
    Given Alice is in a chat with the agent
    When she asks the agent two questions, one after the other
    Then each question is answered with agent_completed by a run whose every event carries its own run id

  @blocker @allure.label.story:Handshake
  Scenario Outline: A chat connection with <credentials> is refused before it opens
    Given Alice has signed up and logged in
    When Mallory connects to the chat with <credentials>
    Then the connection is refused as unauthorized before it opens

    Examples:
      | credentials                                        |
      | no credentials                                     |
      | a garbage access token                             |
      | Alice's access token re-signed with alg none       |
      | Alice's access token re-signed by a stranger's key |
      | a made-up ticket                                   |
      | a ticket Alice has already used                    |
      | a ticket Alice let expire                          |
      | an access token of Alice that has expired          |

  @critical @allure.label.story:Handshake
  Scenario: A chat ticket says it expires within 30 seconds, and is never cached
    Given Alice has signed up and logged in
    When she asks for a chat ticket
    Then she gets a ticket that says it expires within 30 seconds, marked never to be cached

  @blocker @allure.label.story:Handshake
  Scenario: The platform's stores of one-time secrets keep only their digests
    Given Alice has signed in through the identity provider
    When she asks for a chat ticket
    Then none of the platform's stores of one-time secrets holds her login code, chat ticket or refresh token as it was issued

  @critical @allure.label.story:Handshake
  Scenario: An app that is not a browser opens its chat with its access token
    Given Alice has signed up and logged in
    When she opens a chat presenting her access token instead of a ticket
    Then her chat opens, and a question she asks there is answered

  @blocker @allure.label.story:Handshake
  Scenario: A customer signed in as herself cannot write into another customer's chat
    Given Alice is in a chat with the agent
    And Mallory is in a chat with the agent
    When Mallory asks the agent "What is 2 + 2?" in Alice's thread
    Then she is refused with "thread_not_found", no run starts, and nothing reaches Alice's thread or her open chat
