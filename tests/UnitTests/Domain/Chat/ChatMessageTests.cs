using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Domain.Chat;

public sealed class ChatMessageTests
{
    [Test]
    public void System_CreatesASystemMessage()
    {
        Assert.That(ChatMessage.System("be brief"), Is.EqualTo(new ChatMessage(ChatRole.System, "be brief")));
    }

    [Test]
    public void User_CreatesAUserMessage()
    {
        Assert.That(ChatMessage.User("hello"), Is.EqualTo(new ChatMessage(ChatRole.User, "hello")));
    }

    [Test]
    public void Assistant_CreatesAnAssistantMessage()
    {
        Assert.That(ChatMessage.Assistant("hi!"), Is.EqualTo(new ChatMessage(ChatRole.Assistant, "hi!")));
    }

    [Test]
    public void Messages_DifferingInRoleOrContent_AreNotEqual()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ChatMessage.User("hello"), Is.Not.EqualTo(ChatMessage.Assistant("hello")));
            Assert.That(ChatMessage.User("hello"), Is.Not.EqualTo(ChatMessage.User("Hello")));
        }
    }
}
