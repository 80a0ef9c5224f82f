@allure.label.epic:Agent_chat
Feature: The agent's event stream
  While the agent works on a question, the customer's app shows its progress
  from a stream of events: agent_started, agent_thinking, tool_executing,
  tool_completed, and one terminal event, agent_completed or agent_error.

  Apps build their screens from this stream, so it is a contract: every run
  is bracketed by one start and one end, every event says which run and thread
  it belongs to and where it falls in the run, tool calls pair up, failures
  end the run visibly, and only the account holder can open the stream.

  @critical @allure.label.story:Run_lifecycle
  Scenario: A run opens with one agent_started and closes with one terminal event
    Given Alice is in a chat with the agent
    When she asks the agent "What is 12 * 7?"
    Then the run starts with a single agent_started and ends with a single terminal event
    And nothing arrives after the terminal event

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
  Scenario: A failing tool ends the run with agent_error instead of silence
    Given Alice is in a chat with the agent
    When she asks the agent "What is 1 / 0?"
    Then the run ends with agent_error

  @normal @allure.label.story:Run_lifecycle
  Scenario: Each question starts a run of its own
    Given Alice is in a chat with the agent
    When she asks the agent two questions, one after the other
    Then each question is answered by a run with its own run id

  @blocker @allure.label.story:Handshake
  Scenario Outline: A chat connection with <credentials> is refused before it opens
    Given Alice has signed up and logged in
    When Mallory connects to the chat with <credentials>
    Then the connection is refused as unauthorized before it opens

    Examples:
      | credentials                         |
      | no credentials                      |
      | a garbage access token              |
      | an access token with alg none       |
      | an access token signed by a stranger |
      | a made-up ticket                    |
      | a ticket that was already used      |
