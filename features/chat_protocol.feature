@allure.label.epic:Agent_chat @needs.chat_socket
Feature: The chat connection refuses what it cannot take, and says why
  The app and the platform talk over the chat connection in JSON messages.
  Whatever the app sends, the platform answers: a message it cannot take gets
  an error frame with a code the app can act on, never a crash, a dropped
  connection or silence, and the chat stays open.

  An idle chat stays open: the platform pings it often enough that proxies,
  which drop connections idle for about a minute, keep it. An app that stops
  answering pings is gone, and the platform closes its chat.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Error_frames
  Scenario: A message that is not JSON gets an error frame, and the chat stays open
    Given Alice is in a chat with the agent
    When she sends the chat something that is not JSON
    Then her message is refused with "invalid_message", and no run starts
    And her next question is answered on the same chat

  @normal @allure.label.story:Error_frames
  Scenario: A question into a chat that does not exist gets an error frame and starts no run
    Given Alice is in a chat with the agent
    When she asks the agent "What is 2 + 2?" in a chat that does not exist
    Then her message is refused with "thread_not_found", and no run starts

  @normal @allure.label.story:Error_frames
  Scenario: A message of an unknown kind gets an error frame
    Given Alice is in a chat with the agent
    When she sends the chat a message of a kind it does not know
    Then her message is refused with "unsupported_type", and no run starts

  @normal @allure.label.story:Error_frames
  Scenario: An empty question gets an error frame and starts no run
    Given Alice is in a chat with the agent
    When she sends the agent an empty question
    Then her message is refused with "empty_message", and no run starts

  @normal @allure.label.story:Error_frames
  Scenario: A message one byte over the published size limit gets an error frame and starts no run
    Given Alice is in a chat with the agent
    When she sends the agent a message one byte over the size limit the chat policy publishes
    Then her message is refused with "message_too_large", and no run starts

  @normal @allure.label.story:Validation
  Scenario: A message exactly at the published size limit is answered
    Given Alice is in a chat with the agent
    When she sends the agent a message exactly as large as the size limit the chat policy publishes
    Then her message is answered with agent_completed

  @normal @allure.label.story:Error_frames
  Scenario: A frame over 1 MiB closes the chat because the message is too big
    Given Alice is in a chat with the agent
    When she sends the chat a frame of 2 MiB
    Then the platform closes her chat because the message is too big

  @critical @allure.label.story:Queueing
  Scenario: A question sent while the agent is answering waits its turn
    Given Alice is in a chat with the agent
    When she sends two questions without waiting for the first answer
    Then both are answered in the order asked, each by a run of its own, the second starting only after the first ended

  @critical @allure.label.story:Keepalive
  Scenario: The platform pings an idle chat often enough to keep it open through proxies
    Given Alice is in a chat with the agent
    When she leaves the chat idle for three ping intervals
    Then the platform has pinged her chat at least once every ping interval, give or take a second, and that interval is at most 30 seconds
    And her next question is answered on the same chat

  @normal @allure.label.story:Keepalive
  Scenario: A chat whose app stops answering pings is closed
    Given Alice has signed up and logged in
    When her app opens a chat and then answers nothing, not even the platform's pings
    Then the platform closes that chat as broken within one ping interval and one ping timeout, give or take a second
