@allure.label.epic:Agent_chat
Feature: An agent's runs keep the same promises, whichever protocol carries them
  A chat app draws the agent's work from a stream of events, and the same
  promises hold whichever open protocol carries that stream: each run starts
  once and ends once, every tool call is answered, a failure shows as a failure,
  and the answer says what the tools found.

  The questions come from the target's profile, so the same journeys judge any
  agent: ours, or one a team runs itself.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Run_lifecycle
  Scenario: A run starts once and ends once, with its end last
    Given Alice is talking to the agent
    When she asks a question the agent answers with a tool
    Then the run starts once and ends once, as a success, with its end last

  @critical @needs.run_ids @allure.label.story:Run_lifecycle
  Scenario: A run keeps the ids the app knows it by, from its start to its end
    Given Alice is talking to the agent
    When she asks a question the agent answers with a tool
    Then the run's start and end carry the run and conversation ids it started with

  @normal @allure.label.story:Run_lifecycle
  Scenario: Each question in a conversation gets a run of its own
    Given Alice is talking to the agent
    When she asks two questions in the same conversation
    Then each question gets a run of its own, which starts once and ends once

  @critical @allure.label.story:Tool_calls
  Scenario: Every tool call the agent makes is answered by its tool before the run ends
    Given Alice is talking to the agent
    When she asks a question the agent answers with a tool
    Then the agent's tool call is answered by the tool before the run ends

  @critical @allure.label.story:Answers
  Scenario: The answer states what the agent's tool found
    Given Alice is talking to the agent
    When she asks a question the agent answers with a tool
    Then her answer states what the tool found

  @normal @allure.label.story:Answers
  Scenario: A plain question is answered in words, with no tool
    Given Alice is talking to the agent
    When she asks a plain question
    Then she gets an answer in words, with no tool call

  @normal @needs.reasoning @allure.label.story:Run_lifecycle
  Scenario: The agent shows its thinking before it answers
    Given Alice is talking to the agent
    When she asks a question the agent answers with a tool
    Then she sees the agent think before it answers

  @critical @allure.label.story:Failures
  Scenario: A tool that fails ends the run with an error, never with a success
    Given Alice is talking to the agent
    When she asks a question that makes the agent's tool fail
    Then the run ends with an error that has a message, and not as a success

  @critical @needs.client_history @allure.label.story:Conversations
  Scenario: The agent answers from the conversation the app sends with the question
    Given Alice is talking to the agent
    And her app holds a conversation in which she told the agent a code word
    When she asks the agent for the code word
    Then the answer gives back the code word from the conversation her app sent

  @critical @needs.app_tools @allure.label.story:Tool_calls
  Scenario: A tool of the app's own is left to the app: the run ends waiting for it
    Given Alice is talking to the agent
    And her app offers the agent a tool of its own
    When she asks for something only her app can do
    Then the run ends waiting for her app's tool, with no result from the agent's side

  @critical @needs.app_tools @allure.label.story:Tool_calls
  Scenario: The next run carries the app's result, and the answer uses it
    Given Alice is talking to the agent
    And her app offers the agent a tool of its own
    And she has asked for something only her app can do
    When her app sends back its result in the next run
    Then the agent's answer uses her app's result
