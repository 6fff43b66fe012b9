using System.Text.RegularExpressions;
using Wrapper.Application.Common;
using Wrapper.Domain.Agents;

namespace Wrapper.Application.Agents;

/// <summary>What every "ask an agent" request carries (<see cref="AskAgent"/>, <see cref="StreamAgentAnswer"/>, and the
/// Bing-grounded ones), so that one validator (<see cref="AgentQuestionValidator{T}"/>) holds their rules.</summary>
public interface IAgentQuestionRequest
{
    /// <summary>The agent asked.</summary>
    string? AgentName { get; }

    /// <summary>The user message.</summary>
    string? Query { get; }

    /// <summary>A classic thread to continue.</summary>
    string? ThreadId { get; }

    /// <summary>A conversation (new protocol) to continue.</summary>
    string? ConversationId { get; }

    /// <summary>Keep the thread or conversation after answering.</summary>
    bool? KeepThread { get; }
}

/// <summary>Validation and conversation rules shared by every "ask an agent" request.</summary>
public static partial class AgentQuestionRules
{
    /// <summary>Longest thread or conversation id accepted (Agent Service ids look like <c>thread_abc123</c> or
    /// <c>conv_abc123</c>).</summary>
    public const int MaxThreadIdLength = 128;

    /// <summary>True when the id could be an Agent Service thread (or conversation) id: letters, digits, '_' and '-'
    /// only, so it is safe inside a URL path.</summary>
    public static bool IsWellFormedThreadId(string? threadId) => threadId is null || ThreadIdPattern().IsMatch(threadId);

    /// <summary>Builds the domain question. A <paramref name="threadId"/> (or <paramref name="conversationId"/>) continues
    /// that thread (conversation) and keeps it unless <paramref name="keepThread"/> is false (which ends the conversation
    /// after this answer); without one a new thread or conversation is made, kept only when <paramref name="keepThread"/>
    /// is true. The question is asked as the owner of <paramref name="clientIdentity"/> (<see cref="ThreadOwnership.OwnerOf"/>).</summary>
    public static AgentQuestion ToQuestion(string query, string? threadId, bool? keepThread, string clientIdentity,
        string? conversationId = null) =>
        new(query, threadId, keepThread ?? (threadId is not null || conversationId is not null), ThreadOwnership.OwnerOf(clientIdentity),
            conversationId);

    /// <summary>The domain question of a request (see <see cref="ToQuestion(string, string?, bool?, string, string?)"/>).</summary>
    public static AgentQuestion ToQuestion(this IAgentQuestionRequest request, string clientIdentity)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ToQuestion(request.Query!, request.ThreadId, request.KeepThread, clientIdentity, request.ConversationId);
    }

    /// <summary>Why the ids of <paramref name="request"/> do not fit its agent's protocol, as (field, message); null when
    /// they do. Both ids at once never fit; a <c>conversation_id</c> for a classic agent, or a <c>thread_id</c> for an agent
    /// on the new protocol, names the field that does not apply. An unknown agent (<paramref name="protocol"/> null) is
    /// another rule's to report; only "both" is judged then.</summary>
    public static (string Field, string Message)? IdKindMismatch(IAgentQuestionRequest request, AgentProtocol? protocol)
    {
        ArgumentNullException.ThrowIfNull(request);
        var agent = request.AgentName;
        var hasThread = request.ThreadId is not null;
        var hasConversation = request.ConversationId is not null;
        return (hasThread, hasConversation, protocol) switch
        {
            (true, true, AgentProtocol.Classic) => (ConversationField,
                $"Send 'thread_id' or 'conversation_id', not both: agent '{agent}' runs on classic threads; send 'thread_id' only."),
            (true, true, AgentProtocol.Responses) => (ThreadField,
                $"Send 'thread_id' or 'conversation_id', not both: agent '{agent}' runs on conversations; send 'conversation_id' only."),
            (true, true, _) => (ConversationField, "Send 'thread_id' or 'conversation_id', not both."),
            (false, true, AgentProtocol.Classic) => (ConversationField,
                $"'conversation_id' does not apply: agent '{agent}' runs on classic threads; send 'thread_id'."),
            (true, false, AgentProtocol.Responses) => (ThreadField,
                $"'thread_id' does not apply: agent '{agent}' runs on conversations (the new Agent Service protocol); send 'conversation_id'."),
            _ => null,
        };
    }

    /// <summary>The request field of a classic thread id.</summary>
    public const string ThreadField = "thread_id";

    /// <summary>The request field of a conversation id (new protocol).</summary>
    public const string ConversationField = "conversation_id";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex ThreadIdPattern();
}

/// <summary>The rules of every question to an agent: the query (required, bounded, no control characters), the shape of
/// <c>thread_id</c> and <c>conversation_id</c>, and that the id sent is the kind the agent's protocol continues
/// (<see cref="IAgentGateway.ProtocolOf"/>).</summary>
public abstract class AgentQuestionValidator<T> : AbstractValidator<T>
    where T : IAgentQuestionRequest
{
    protected AgentQuestionValidator(ChatOptions options, IAgentGateway agents)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(agents);
        var maxQueryLength = options.MaxMessageLength;
        RuleFor(r => r.Query)
            .Must(q => !string.IsNullOrWhiteSpace(q)).WithMessage("'query' is required.")
            .MaximumLength(maxQueryLength).WithMessage($"'query' must be at most {maxQueryLength} characters.")
            .Must(TextRules.HasNoForbiddenControlCharacters).WithMessage("'query' must not contain control characters other than tab and line breaks.")
            .OverridePropertyName("query");

        RuleFor(r => r.ThreadId)
            .Must(AgentQuestionRules.IsWellFormedThreadId)
            .WithMessage($"'thread_id' must be 1 to {AgentQuestionRules.MaxThreadIdLength} letters, digits, '_' or '-'.")
            .OverridePropertyName(AgentQuestionRules.ThreadField);

        RuleFor(r => r.ConversationId)
            .Must(AgentQuestionRules.IsWellFormedThreadId)
            .WithMessage($"'conversation_id' must be 1 to {AgentQuestionRules.MaxThreadIdLength} letters, digits, '_' or '-'.")
            .OverridePropertyName(AgentQuestionRules.ConversationField);

        RuleFor(r => r).Custom((request, context) =>
        {
            var protocol = request.AgentName is { } name ? agents.ProtocolOf(name) : null;
            if (AgentQuestionRules.IdKindMismatch(request, protocol) is { } mismatch)
            {
                context.AddFailure(mismatch.Field, mismatch.Message);
            }
        });
    }
}

/// <summary>The agent-name rule of the requests that name their agent (<see cref="AskAgent"/>, <see cref="StreamAgentAnswer"/>):
/// an unknown name is refused with the known ones listed.</summary>
public abstract class NamedAgentQuestionValidator<T> : AgentQuestionValidator<T>
    where T : IAgentQuestionRequest
{
    protected NamedAgentQuestionValidator(ChatOptions options, IAgentGateway agents)
        : base(options, agents)
    {
        var known = agents.AgentNames;
        RuleFor(r => r.AgentName)
            .Must(a => a is not null && known.Contains(a, StringComparer.OrdinalIgnoreCase))
            .WithMessage($"'agent' must be one of: {string.Join(", ", known.Order(StringComparer.Ordinal))}.")
            .OverridePropertyName("agent");
    }
}
