@allure.label.epic:Agent_chat @needs.chat_socket
Feature: An answer survives dropped connections, restarts and slow tools
  Phones drop off Wi-Fi in the middle of an answer, deploys restart servers,
  and the services the agent's tools call can hang. None of this may leave a
  customer with half an answer and no word about the rest.

  The agent's work goes on when the connection drops. The app reconnects and
  resumes the run: it names the run and the last event it saw, and receives
  exactly the events it missed, then the rest as they come. A finished run can
  be resumed for the time the platform publishes (its event retention). A
  graceful restart tells the app so and finishes or reports
  the runs in progress; a server that dies is told apart from one that
  restarts. A tool that hangs ends its run within the platform's tool timeout.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Resume
  Scenario: A customer whose connection drops mid-answer receives exactly the events she missed
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And her connection drops while the tool is running
    And she reconnects and resumes the run
    Then she receives every event after the last one she saw, once each and in order, ending with agent_completed

  @critical @allure.label.story:Resume
  Scenario: A run that ended while the customer was away can still be resumed
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And her connection drops while the tool is running
    And the run ends while she is away
    And she reconnects and resumes the run
    Then she receives every event after the last one she saw, once each and in order, ending with agent_completed

  @normal @allure.label.story:Resume
  Scenario: A run can no longer be resumed once the event retention has passed
    Given Alice is in a chat with the agent
    And she has asked the agent "What is 12 * 7?"
    When the platform's event retention has passed since her run ended
    And she resumes her run on the same chat
    Then her resume is refused with "run_expired", and no run starts

  @normal @allure.label.story:Resume
  Scenario: A resume that names no run gets an error frame and starts nothing
    Given Alice is in a chat with the agent
    When she sends the chat a resume that names no run
    Then her message is refused with "invalid_message", and no run starts

  @blocker @allure.label.story:Resume
  Scenario: Another customer cannot resume someone else's run
    Given Alice is in a chat with the agent
    And she has asked the agent "What is 12 * 7?"
    When Mallory, signed in as herself, resumes Alice's run
    Then her message is refused with "run_not_found", and no run starts

  @critical @restarts @allure.label.story:Restarts
  Scenario: A graceful restart mid-answer tells the app the service is restarting, and the answer is not lost
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And her server restarts gracefully while the tool is running
    Then her chat is closed because the service is restarting
    When she reconnects and resumes the run
    Then the resumed run ends with agent_completed
    And her question and the agent's answer are in her chat history

  @critical @restarts @allure.label.story:Restarts
  Scenario: A run still going when the shutdown grace runs out is ended as interrupted by its own server
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1.5 seconds 5 times, then answer"
    And her server restarts gracefully while the tool is running
    Then the platform recorded her run as interrupted when the shutdown grace ran out, before her server stopped

  @critical @restarts @allure.label.story:Restarts
  Scenario: A server that dies mid-answer is told apart from a restart, and the run reports it was cut off
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And her server is killed while the tool is running
    Then her chat is cut off abruptly, with no closing word from the server
    When she reconnects and resumes the run
    Then the resumed run ends with agent_error "run_interrupted"

  @critical @restarts @allure.label.story:Restarts
  Scenario: The run of a server that died is ended by the next one to start, even when nobody resumes it
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And her server is killed while the tool is running
    Then the platform records her run as cut off, though nobody resumed it

  @critical @allure.label.story:Slow_tools
  Scenario: A tool that hangs ends the run with tool_timeout within the platform's tool timeout
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 60 seconds, then answer"
    Then within the tool timeout and 2 seconds more the run ends with agent_error "tool_timeout"

  @normal @allure.label.story:Slow_tools
  Scenario: A run whose customer left still ends within the tool timeout, recorded as ended
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 60 seconds, then answer"
    And she closes the app while the tool is running
    Then within the tool timeout and 2 seconds more the platform records her run as ended
