// The launcher behind scripts/cluster.sh: one JVM process per role.
//
//   java -cp LIB/*:CLASSES TrawlClusterNode zk   PORT DATA_DIR
//   java -cp LIB/*:CLASSES TrawlClusterNode solr PORT SOLR_HOME ZK_HOST
//
// `zk` runs a standalone ZooKeeper (ZooKeeperServerMain) on 127.0.0.1:PORT with its data in
// DATA_DIR. `solr` runs one SolrCloud node (Solr's embedded Jetty, JettySolrRunner) on
// 127.0.0.1:PORT, context /solr, with its cores under SOLR_HOME, registered in ZK_HOST.
// Both run until the process gets SIGTERM (the JVM's shutdown hook stops the node cleanly).
// With -Dtrawl.pidfile=FILE the process writes its pid there before anything else.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

public final class TrawlClusterNode {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) usage();
    // A failed start must end the process (ZooKeeper's and Jetty's own threads would otherwise
    // keep a half-started JVM alive), so cluster.sh sees it die and points at the log.
    Thread.setDefaultUncaughtExceptionHandler(
        (t, e) -> {
          System.err.println("trawl-cluster: thread " + t.getName() + " died: " + e);
          e.printStackTrace();
          if (t.getName().equals("main")) Runtime.getRuntime().halt(1);
        });
    try {
      // The pid file is written first, so `cluster.sh down` can stop a node that hangs starting.
      String pidFile = System.getProperty("trawl.pidfile");
      if (pidFile != null) {
        Path tmp = Path.of(pidFile + ".tmp");
        Files.writeString(tmp, ProcessHandle.current().pid() + "\n");
        Files.move(tmp, Path.of(pidFile), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
      switch (args[0]) {
        case "zk" -> zk(args);
        case "solr" -> solr(args);
        default -> usage();
      }
    } catch (Throwable e) {
      System.err.println("trawl-cluster: " + args[0] + " failed to start: " + e);
      e.printStackTrace();
      Runtime.getRuntime().halt(1);
    }
  }

  private static void usage() {
    System.err.println("usage: TrawlClusterNode zk PORT DATA_DIR | solr PORT SOLR_HOME ZK_HOST");
    System.exit(2);
  }

  private static void zk(String[] args) throws Exception {
    if (args.length != 3) usage();
    int port = Integer.parseInt(args[1]);
    Path data = Path.of(args[2]).toAbsolutePath();
    Files.createDirectories(data);
    Path cfg = data.resolve("zoo.cfg");
    String conf =
        "tickTime=2000\n"
            + "initLimit=10\n"
            + "syncLimit=5\n"
            + "dataDir=" + data + "\n"
            + "clientPort=" + port + "\n"
            + "clientPortAddress=127.0.0.1\n"
            + "maxClientCnxns=0\n"
            + "admin.enableServer=false\n"
            + "4lw.commands.whitelist=ruok,mntr,stat,srvr\n"
            + "autopurge.snapRetainCount=3\n"
            + "autopurge.purgeInterval=1\n";
    Files.writeString(cfg, conf);
    // Blocks until the server shuts down; runFromConfig throws instead of logging and lingering.
    var zkConfig = new org.apache.zookeeper.server.ServerConfig();
    zkConfig.parse(cfg.toString());
    new org.apache.zookeeper.server.ZooKeeperServerMain().runFromConfig(zkConfig);
    System.exit(0);
  }

  private static void solr(String[] args) throws Exception {
    if (args.length != 4) usage();
    int port = Integer.parseInt(args[1]);
    Path home = Path.of(args[2]).toAbsolutePath();
    String zkHost = args[3];
    Files.createDirectories(home);
    Path solrXml = home.resolve("solr.xml");
    // solr.xml is the launcher's, replaced at every start so a changed one takes effect.
    try (var in = TrawlClusterNode.class.getResourceAsStream("/solr.xml")) {
      if (in == null) throw new IllegalStateException("solr.xml missing from the launcher's classpath");
      Files.copy(in, solrXml, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Properties props = new Properties();
    props.setProperty("zkHost", zkHost);
    props.setProperty("host", "127.0.0.1");
    props.setProperty("coreRootDirectory", home.toString());
    var config =
        org.apache.solr.embedded.JettyConfig.builder()
            .setPort(port)
            .setContext("/solr")
            .stopAtShutdown(true)
            .build();
    var jetty = new org.apache.solr.embedded.JettySolrRunner(home.toString(), props, config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    jetty.stop();
                  } catch (Exception e) {
                    e.printStackTrace();
                  } finally {
                    stopped.countDown();
                  }
                },
                "trawl-cluster-stop"));
    jetty.start();
    System.out.println("trawl-cluster: solr node up at " + jetty.getBaseUrl() + " (zk " + zkHost + ")");
    stopped.await();
  }
}
