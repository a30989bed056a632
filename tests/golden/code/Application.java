// A Spring-style application: what the code check finds in Java.
package com.example;

public class Application {
    public static void main(String[] args) {
        String url = System.getenv("JAVA_DB_URL");
        String all = System.getenv().toString();
        String host = System.getenv("HOSTNAME");
        System.out.println(url + all + host);
    }
}
