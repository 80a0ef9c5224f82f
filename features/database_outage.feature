@allure.label.epic:Operations @two_instances @restarts @needs.chat_socket
Feature: The platform rides out a database outage
  When the platform's database goes away, customers are told so plainly: every
  request that needs it is answered with a problem that says when to try again,
  never a bare server error. A chat that needs the database meanwhile (a run in
  progress, or a new question) gets service_unavailable and closes, telling the
  app to try again later; a chat that only waits stays open. Once the database is back, the platform
  recovers by itself, all of it: nobody restarts a server.

  These journeys stop the database and start it again.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Outage
  Scenario: While the database is down, requests that need it are told to try again later, and no server is taken for dead
    Given Alice has signed up and logged in
    When the platform's database goes down
    Then each of her requests that need the database gets a problem "database-unavailable" that says when to try again
    And each server still says it is alive

  @critical @allure.label.story:Outage
  Scenario: A run in progress when the database goes down ends with service_unavailable, and the chat closes
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And the platform's database goes down while the tool is running
    Then her run ends with agent_error "service_unavailable"
    And her chat is closed, telling her app to try again later

  @normal @allure.label.story:Outage
  Scenario: A question sent while the database is down gets an error frame, and the chat closes
    Given Alice is in a chat with the agent
    When the platform's database goes down
    And she asks the agent "What is 6 * 7?"
    Then her question gets an error frame "service_unavailable"
    And her chat is closed, telling her app to try again later

  @critical @allure.label.story:Recovery
  Scenario: Once the database is back, a run the outage cut short is recorded as ended, not left running
    Given Alice is in a chat with the agent
    When she asks the agent "Wait 1 second, then answer"
    And the platform's database goes down while the tool is running
    Then her run ends with agent_error "service_unavailable"
    When the database comes back
    Then the platform records her run as ended with service_unavailable, once it can

  @blocker @allure.label.story:Recovery
  Scenario: Once the database is back, a logout on one server still closes the chat on the other within 2 seconds
    Given Alice is in a chat with the agent on the other server
    And the platform's database has gone down and come back
    When she logs out on one server
    Then the platform closes her chat within 2 seconds, saying the session ended

  @critical @allure.label.story:Recovery
  Scenario: Once the database is back, a run resumed on the other server still delivers the rest of its answer
    Given Alice is in a chat with the agent on one server
    And the platform's database has gone down and come back
    When she asks the agent "Wait 1.5 seconds, then answer"
    And her connection drops while the tool is running
    And she reconnects to the other server and resumes the run
    Then she receives every event after the last one she saw, once each and in order, ending with agent_completed
